import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A deliberately tiny HTTP/1.1 server for Prometheus: `GET /metrics` answers the exposition text
/// (format 0.0.4), everything else 404 (405 for another method on `/metrics`). Bounded: one request
/// per connection, no request bodies, 8 KiB per request, 10 s to send it, 32 connections at once.
struct MetricsServer: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    static let requestLimit = 8 * 1024
    static let maxConnections = 32

    private let channel: NIOAsyncChannel<Connection, Never>
    private let exposition: @Sendable () -> [UInt8]

    /// The port it listens on (the one chosen when the configuration asked for 0).
    var port: Int { channel.channel.localAddress?.port ?? 0 }

    /// Binds the listening socket; `serve()` then answers requests.
    static func bind(
        host: String, port: Int, exposition: @escaping @Sendable () -> [UInt8],
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> MetricsServer {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        IdleStateHandler(readTimeout: .seconds(10)), MetricsRequestGuard(limit: requestLimit),
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)),
                        HTTPResponseEncoder())
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        return MetricsServer(channel: channel, exposition: exposition)
    }

    /// Answers requests until `close()`; one child task per connection.
    func serve() async {
        let active = NIOLockedValueBox(0)
        try? await withThrowingDiscardingTaskGroup { group in
            try await channel.executeThenClose { connections in
                for try await connection in connections {
                    let admitted = active.withLockedValue { count in
                        guard count < Self.maxConnections else { return false }
                        count += 1
                        return true
                    }
                    guard admitted else {
                        try? await connection.channel.close()
                        continue
                    }
                    group.addTask {
                        await answer(connection)
                        active.withLockedValue { $0 -= 1 }
                    }
                }
            }
        }
    }

    /// Stops accepting; `serve()` returns once the open connections ended.
    func close() {
        channel.channel.close(promise: nil)
    }

    private func answer(_ connection: Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            var request: HTTPRequestHead?
            var hasBody = false
            for try await part in inbound {
                switch part {
                case .head(let head): request = head
                case .body: hasBody = true
                case .end:
                    guard let request else { return }
                    let (status, body) = response(to: request, hasBody: hasBody)
                    var headers = HTTPHeaders()
                    headers.add(
                        name: "Content-Type",
                        value: status == .ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
                    headers.add(name: "Content-Length", value: "\(body.count)")
                    headers.add(name: "Connection", value: "close")
                    try await outbound.write(
                        .head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                    try await outbound.write(.end(nil))
                    return
                }
            }
        }
    }

    private func response(to request: HTTPRequestHead, hasBody: Bool) -> (HTTPResponseStatus, [UInt8]) {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard path == "/metrics" else { return (.notFound, Array("not found: try /metrics\n".utf8)) }
        guard request.method == .GET else { return (.methodNotAllowed, Array("only GET\n".utf8)) }
        guard !hasBody else { return (.badRequest, Array("a scrape has no body\n".utf8)) }
        return (.ok, exposition())
    }
}
