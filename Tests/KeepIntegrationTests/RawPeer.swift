import KeepCrypto
import KeepProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A misbehaving peer: a TCP connection with our own pipeline (optionally TLS and the frame
/// decoder) that writes whatever bytes a test wants and records what comes back and when the
/// controller closes the connection.
final class RawPeer: Sendable {
    let channel: any Channel
    /// Completes when the TLS handshake succeeded (immediately without TLS).
    let handshake: EventLoopFuture<Void>
    /// Completes when the connection closed.
    let closed: EventLoopFuture<Void>
    private let received: NIOLockedValueBox<[Frame]>

    private init(channel: any Channel, handshake: EventLoopFuture<Void>, closed: EventLoopFuture<Void>, received: NIOLockedValueBox<[Frame]>) {
        self.channel = channel
        self.handshake = handshake
        self.closed = closed
        self.received = received
    }

    /// Connects to `port`; with `tls`, speaks TLS and decodes Keep frames.
    static func connect(port: Int, tls: TLSContext?) async throws -> RawPeer {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let handshake = loop.makePromise(of: Void.self)
        let closed = loop.makePromise(of: Void.self)
        let received = NIOLockedValueBox<[Frame]>([])
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(TLSHandler(context: tls))
                        try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(limits: FrameLimits())))
                        try pipeline.addHandler(FrameCollector(handshake: handshake, closed: closed, received: received))
                    } else {
                        handshake.succeed()
                        try pipeline.addHandler(CloseWatcher(closed: closed))
                    }
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawPeer(channel: channel, handshake: handshake.futureResult, closed: closed.futureResult, received: received)
    }

    /// Writes raw bytes (encrypted when the peer speaks TLS).
    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// Frames the controller sent.
    var frames: [Frame] { received.withLockedValue { $0 } }

    /// Waits until the controller closes the connection; throws after `timeout`.
    func waitUntilClosed(timeout: TimeAmount) async throws {
        let loop = channel.eventLoop
        let timer = loop.scheduleTask(in: timeout) { throw RawPeerTimeout() }
        defer { timer.cancel() }
        try await timer.futureResult.or(closed).get()
    }

    func close() async {
        try? await channel.close()
    }
}

struct RawPeerTimeout: Error, CustomStringConvertible {
    var description: String { "the controller did not close the connection in time" }
}

private final class FrameCollector: ChannelInboundHandler {
    typealias InboundIn = Frame
    let handshake: EventLoopPromise<Void>
    let closed: EventLoopPromise<Void>
    let received: NIOLockedValueBox<[Frame]>

    init(handshake: EventLoopPromise<Void>, closed: EventLoopPromise<Void>, received: NIOLockedValueBox<[Frame]>) {
        self.handshake = handshake
        self.closed = closed
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        received.withLockedValue { $0.append(frame) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TLSHandshakeCompleted { handshake.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        handshake.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshake.fail(RawPeerTimeout())
        closed.succeed()
    }
}

private final class CloseWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let closed: EventLoopPromise<Void>

    init(closed: EventLoopPromise<Void>) { self.closed = closed }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    func channelInactive(context: ChannelHandlerContext) { closed.succeed() }
}

extension EventLoopFuture where Value == Void {
    /// Completes with whichever of the two completes first.
    func or(_ other: EventLoopFuture<Void>) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        cascade(to: promise)
        other.cascade(to: promise)
        return promise.futureResult
    }
}
