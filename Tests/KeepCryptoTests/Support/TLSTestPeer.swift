import KeepCore
import NIOCore
import NIOPosix
import Testing

@testable import KeepCrypto

/// What one side of a test connection saw, reported when its channel went inactive.
struct ConnectionOutcome: Sendable {
    var handshake: TLSHandshakeCompleted?
    var errors: [TLSError] = []
    var otherErrors: [String] = []
    var closeNotifyReceived = false
    var firstError: TLSError.Kind? { errors.first?.kind }
}

/// Sits above the TLS handler: records events and errors, and either echoes or collects what it reads.
final class ConnectionRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let echo: Bool
    private let expectedBytes: Int
    private let handshake: EventLoopPromise<TLSHandshakeCompleted>
    private let received: EventLoopPromise<ByteBuffer>
    private let finished: EventLoopPromise<ConnectionOutcome>
    private var outcome = ConnectionOutcome()
    private var buffer = ByteBuffer()

    init(
        echo: Bool, expectedBytes: Int = 0, handshake: EventLoopPromise<TLSHandshakeCompleted>,
        received: EventLoopPromise<ByteBuffer>, finished: EventLoopPromise<ConnectionOutcome>
    ) {
        self.echo = echo
        self.expectedBytes = expectedBytes
        self.handshake = handshake
        self.received = received
        self.finished = finished
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSHandshakeCompleted {
            outcome.handshake = event
            handshake.succeed(event)
        } else if event is TLSCloseNotifyReceived {
            outcome.closeNotifyReceived = true
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? TLSError {
            outcome.errors.append(error)
        } else {
            outcome.otherErrors.append("\(error)")
        }
        handshake.fail(error)
        received.fail(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if echo {
            context.write(wrapOutboundOut(bytes), promise: nil)
        } else {
            buffer.writeBuffer(&bytes)
            if buffer.readableBytes >= expectedBytes { received.succeed(buffer) }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if echo { context.flush() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error = ChannelError.ioOnClosedChannel
        handshake.fail(error)
        received.fail(error)
        finished.succeed(outcome)
    }
}

/// A real NIOPosix server on 127.0.0.1 (port 0) running `TLSHandler` + an echoing recorder.
struct TLSTestServer {
    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let outcomes: AsyncStream<ConnectionOutcome>
    let port: Int

    /// Runs `body` with a server and always shuts the server and its event loop group down.
    static func with(
        context: TLSContext, handshakeTimeout: TimeAmount = .seconds(5),
        _ body: (TLSTestServer) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let (outcomes, continuation) = AsyncStream.makeStream(of: ConnectionOutcome.self)
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let loop = channel.eventLoop
                        let finished = loop.makePromise(of: ConnectionOutcome.self)
                        finished.futureResult.whenSuccess { continuation.yield($0) }
                        try channel.pipeline.syncOperations.addHandler(
                            TLSHandler(context: context, handshakeTimeout: handshakeTimeout))
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionRecorder(
                                echo: true, handshake: loop.makePromise(), received: loop.makePromise(),
                                finished: finished))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            let port = try #require(channel.localAddress?.port)
            let server = TLSTestServer(group: group, channel: channel, outcomes: outcomes, port: port)
            do {
                try await body(server)
            } catch {
                try? await channel.close()
                throw error
            }
            try await channel.close()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    /// The outcome of the next server-side connection to end.
    func nextOutcome() async throws -> ConnectionOutcome {
        var iterator = outcomes.makeAsyncIterator()
        return try #require(await iterator.next())
    }

    /// A TLS client connection with a recorder collecting `expectedBytes` of echo.
    struct Client {
        let channel: Channel
        let handshake: EventLoopFuture<TLSHandshakeCompleted>
        let received: EventLoopFuture<ByteBuffer>
        let finished: EventLoopFuture<ConnectionOutcome>
    }

    func connect(_ context: TLSContext, expectedBytes: Int = 0) async throws -> Client {
        let loop = group.next()
        let handshake = loop.makePromise(of: TLSHandshakeCompleted.self)
        let received = loop.makePromise(of: ByteBuffer.self)
        let finished = loop.makePromise(of: ConnectionOutcome.self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionRecorder(
                            echo: false, expectedBytes: expectedBytes, handshake: handshake, received: received,
                            finished: finished))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return Client(
            channel: channel, handshake: handshake.futureResult, received: received.futureResult,
            finished: finished.futureResult)
    }

    /// A plain TCP connection (no TLS), for peers that do not speak TLS.
    func connectPlain() async throws -> Channel {
        try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
    }
}
