import NIOCore

/// Writes `Frame`s like `MessageToByteHandler(FrameEncoder(limits:))`, except that a CHUNK frame goes down as two
/// buffers, its 45-byte header and its payload untouched: the payload is never copied into an output buffer (over
/// plain TCP the socket gathers both with one `writev`; TLS encrypts each straight from its storage).
public final class FrameEncoderHandler: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = Frame
    public typealias OutboundOut = ByteBuffer

    private let encoder: FrameEncoder

    /// A handler; pass the connection's `FrameLimits` to check outgoing lengths.
    public init(limits: FrameLimits? = nil) {
        self.encoder = FrameEncoder(limits: limits)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        do {
            switch frame {
            case .control:
                var buffer = context.channel.allocator.buffer(capacity: 256)
                try encoder.encode(data: frame, out: &buffer)
                context.write(wrapOutboundOut(buffer), promise: promise)
            case .chunk(let chunk):
                let length = 1 + ChunkFrame.headerLength + chunk.payload.readableBytes
                if let limits = encoder.limits, length > limits.maximumFrameLength {
                    throw ProtocolError.frameTooLarge(length: length, maximum: limits.maximumFrameLength)
                }
                var header = context.channel.allocator.buffer(capacity: ProtocolLimits.frameHeaderLength + 40)
                try FrameEncoder.writeChunkHeader(chunk, into: &header)
                context.write(wrapOutboundOut(header), promise: nil)
                context.write(wrapOutboundOut(chunk.payload), promise: promise)
            }
        } catch {
            promise?.fail(error)
            context.fireErrorCaught(error)
        }
    }
}

@available(*, unavailable)
extension FrameEncoderHandler: Sendable {}
