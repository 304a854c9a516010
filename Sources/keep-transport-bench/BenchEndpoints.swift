import KeepCore
import KeepProtocol
import KeepTransport
import NIOCore
import NIOPosix

/// The frame channel both ends of the benchmark talk through, whatever carries it.
typealias FrameChannel = NIOAsyncChannel<Frame, Frame>

/// The listening side: KeepTransport's `Listener` for TLS, the same framing on a bare socket for TCP.
enum BenchServer {
    case tls(Listener.Server)
    case tcp(NIOAsyncChannel<FrameChannel, Never>)

    static func bind(_ transport: BenchTransport, pki: BenchPKI, group: any EventLoopGroup) async throws
        -> BenchServer
    {
        switch transport {
        case .tls:
            return .tls(try await Listener.bind(host: "127.0.0.1", port: 0, tls: pki.serverContext(), group: group))
        case .tcp:
            let server = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .bind(host: "127.0.0.1", port: 0) { channel in
                    channel.eventLoop.makeCompletedFuture { try PlainFraming.configure(channel) }
                }
            return .tcp(server)
        }
    }

    var port: Int {
        switch self {
        case .tls(let server): server.channel.localAddress?.port ?? 0
        case .tcp(let server): server.channel.localAddress?.port ?? 0
        }
    }

    /// Accepts one connection, lets `body` use it, then closes the listener.
    func withFirstConnection<Result: Sendable>(_ body: (FrameChannel) async throws -> Result) async throws -> Result {
        switch self {
        case .tls(let server):
            return try await server.executeThenClose { connections in
                for try await peer in connections {
                    _ = try await peer.handshake.get()
                    // Like the session after Welcome: CHUNK frames need more than the pre-handshake limit.
                    peer.raiseFrameLimit(to: ProtocolLimits.defaultMaximumFrameLength)
                    return try await body(peer.channel)
                }
                throw KeepError(.unavailable, "the listener closed before the sender connected", hint: "see the sender")
            }
        case .tcp(let server):
            return try await server.executeThenClose { connections in
                for try await channel in connections { return try await body(channel) }
                throw KeepError(.unavailable, "the listener closed before the sender connected", hint: "see the sender")
            }
        }
    }
}

/// The dialing side.
enum BenchClient {
    static func connect(_ transport: BenchTransport, port: Int, pki: BenchPKI, group: any EventLoopGroup)
        async throws -> FrameChannel
    {
        switch transport {
        case .tls:
            let peer = try await Dialer.connect(host: "127.0.0.1", port: port, tls: pki.clientContext(), group: group)
            _ = try await peer.handshake.get()
            peer.raiseFrameLimit(to: ProtocolLimits.defaultMaximumFrameLength)
            return peer.channel
        case .tcp:
            return try await ClientBootstrap(group: group)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try PlainFraming.configure(channel) }
                }
        }
    }
}

/// KeepTransport's framing (and socket settings) without the TLS handler: what TLS costs is the difference.
enum PlainFraming {
    static func configure(_ channel: any Channel) throws -> FrameChannel {
        let limits = FrameLimits(maximumFrameLength: ProtocolLimits.defaultMaximumFrameLength)
        try channel.syncOptions?.setOption(
            .recvAllocator,
            value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 * 1024, maximum: 1024 * 1024))
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(limits: limits)))
        try pipeline.addHandler(FrameEncoderHandler())
        return try FrameChannel(wrappingChannelSynchronously: channel)
    }
}
