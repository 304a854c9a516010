import KeepCrypto
import NIOCore
import NIOPosix

/// The controller's listening socket: every accepted connection arrives as a `PeerConnection`.
public enum Listener {
    public typealias Server = NIOAsyncChannel<PeerConnection, Never>

    public static func bind(
        host: String, port: Int, tls: TLSContext, handshakeTimeout: TimeAmount = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Server {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try PeerConnection.configure(channel, tls: tls, handshakeTimeout: handshakeTimeout)
                }
            }
    }
}

/// Outgoing connections, for agents and keepctl.
public enum Dialer {
    public static func connect(
        host: String, port: Int, tls: TLSContext, timeout: TimeAmount = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> PeerConnection {
        try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try PeerConnection.configure(channel, tls: tls, handshakeTimeout: timeout)
                }
            }
    }
}
