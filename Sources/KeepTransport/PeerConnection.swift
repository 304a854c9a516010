import KeepCore
import KeepCrypto
import KeepProtocol
import NIOCore

/// One TLS connection carrying Keep frames, as the application sees it: an async stream of frames in,
/// a writer of frames out, and the peer's verified identity once the handshake is done.
public struct PeerConnection: Sendable {
    public typealias Channel = NIOAsyncChannel<Frame, Frame>

    public let channel: Channel
    /// Completes with the verified peer once the TLS handshake succeeds; fails with a `TLSError` otherwise.
    public let handshake: EventLoopFuture<TLSHandshakeCompleted>
    /// The decoder's limit, raised by the session once the maximum frame length is negotiated.
    let limits: NIOLoopBound<FrameLimits>
    public let remoteAddress: String

    /// Builds the pipeline of a freshly accepted or connected channel: TLS, frame decoder and encoder,
    /// a watcher of the handshake, then the async boundary. Must run on the channel's event loop.
    static func configure(_ channel: any NIOCore.Channel, tls: TLSContext, handshakeTimeout: TimeAmount) throws
        -> PeerConnection
    {
        let limits = FrameLimits()
        let handshake = channel.eventLoop.makePromise(of: TLSHandshakeCompleted.self)
        // Bulk transfers arrive in reads of up to 1 MiB instead of NIO's default 64 KiB: fewer system calls, and
        // fewer, bigger buffers for TLS and the frame decoder to handle.
        try channel.syncOptions?.setOption(
            .recvAllocator,
            value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 * 1024, maximum: 1024 * 1024))
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(TLSHandler(context: tls, handshakeTimeout: handshakeTimeout))
        try pipeline.addHandler(HandshakeWatcher(promise: handshake))
        try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(limits: limits)))
        try pipeline.addHandler(FrameEncoderHandler())
        let asyncChannel = try Channel(wrappingChannelSynchronously: channel)
        return PeerConnection(
            channel: asyncChannel, handshake: handshake.futureResult,
            limits: NIOLoopBound(limits, eventLoop: channel.eventLoop),
            remoteAddress: channel.remoteAddress.map(Self.describe) ?? "unknown")
    }

    /// Raises the maximum frame length the decoder accepts. Runs on the channel's event loop, in order
    /// with the writes issued after it.
    public func raiseFrameLimit(to length: Int) {
        let limits = self.limits
        limits.eventLoop.execute { limits.value.maximumFrameLength = length }
    }

    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}

/// Completes the handshake promise from the TLS handler's event or error, or when the channel
/// closes first. Passes everything through.
final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var promise: EventLoopPromise<TLSHandshakeCompleted>?

    init(promise: EventLoopPromise<TLSHandshakeCompleted>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let completed = event as? TLSHandshakeCompleted {
            promise?.succeed(completed)
            promise = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise?.fail(error)
        promise = nil
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failIfPending()
        context.fireChannelInactive()
    }

    /// A channel whose connect fails never becomes active; its handlers are removed when it closes.
    func handlerRemoved(context: ChannelHandlerContext) {
        failIfPending()
    }

    private func failIfPending() {
        promise?.fail(
            KeepError(.tls, "the connection closed during the TLS handshake", hint: "check the peer's logs for the reason"))
        promise = nil
    }
}
