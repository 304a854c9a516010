/// Fired with `fireUserInboundEventTriggered` when the peer ended the TLS session with close_notify, just before
/// ``TLSHandler`` closes the channel: an orderly end, as opposed to a truncated connection.
public struct TLSCloseNotifyReceived: Sendable, Hashable {
    public init() {}
}
