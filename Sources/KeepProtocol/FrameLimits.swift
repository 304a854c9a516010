/// The maximum frame length currently in force on one connection, shared by its `FrameDecoder`
/// and its session handler so that the handler can raise it once the handshake has negotiated a
/// bigger one.
///
/// It belongs to the connection's event loop: create it in the channel initializer together with
/// the handlers that use it, and touch it only from that loop. That is why it is not `Sendable`.
public final class FrameLimits {
    /// The largest length field value accepted (kind byte plus payload).
    public var maximumFrameLength: Int

    /// Starts at the pre-handshake limit unless told otherwise.
    public init(maximumFrameLength: Int = ProtocolLimits.handshakeFrameLength) {
        self.maximumFrameLength = maximumFrameLength
    }
}

@available(*, unavailable)
extension FrameLimits: Sendable {}
