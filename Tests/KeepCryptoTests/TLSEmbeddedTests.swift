import KeepCore
import NIOCore
import NIOEmbedded
import Testing

@testable import KeepCrypto

/// Collects what the TLS handler passes up, on an `EmbeddedChannel`.
final class EventCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var handshake: TLSHandshakeCompleted?
    var errors: [TLSError] = []
    var received = ByteBuffer()
    var closeNotify = false

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSHandshakeCompleted { handshake = event }
        if event is TLSCloseNotifyReceived { closeNotify = true }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? TLSError { errors.append(error) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
    }
}

@Suite("TLS handler on embedded channels")
struct TLSEmbeddedTests {
    /// Two embedded channels, a server and a client, whose ciphertext the test carries across by hand.
    final class Pair {
        let server = EmbeddedChannel()
        let client = EmbeddedChannel()
        let serverEvents = EventCollector()
        let clientEvents = EventCollector()

        init(server serverContext: TLSContext, client clientContext: TLSContext) throws {
            try server.pipeline.syncOperations.addHandlers(TLSHandler(context: serverContext), serverEvents)
            try client.pipeline.syncOperations.addHandlers(TLSHandler(context: clientContext), clientEvents)
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
            try server.connect(to: address).wait()
            try client.connect(to: address).wait()
        }

        /// Moves ciphertext both ways until neither side has anything to send; `chunk` bytes per delivery.
        func pump(chunk: Int = .max) throws {
            var moved = true
            while moved {
                moved = try carry(from: client, to: server, chunk: chunk)
                moved = try carry(from: server, to: client, chunk: chunk) || moved
            }
        }

        private func carry(from source: EmbeddedChannel, to target: EmbeddedChannel, chunk: Int) throws -> Bool {
            var moved = false
            while var buffer = try source.readOutbound(as: ByteBuffer.self) {
                moved = true
                while buffer.readableBytes > 0, target.isActive {
                    let slice = buffer.readSlice(length: min(chunk, buffer.readableBytes)) ?? ByteBuffer()
                    try target.writeInbound(slice)
                }
            }
            return moved
        }
    }

    @Test("a handshake fed one byte at a time completes, and records split across reads decrypt intact")
    func byteByByte() throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        let pair = try Pair(server: try certs.serverContext(), client: try certs.clientContext(certs.operatorAlice))
        try pair.pump(chunk: 1)
        #expect(pair.clientEvents.handshake?.peer == PeerIdentity(role: .controller, name: "localhost"))
        #expect(pair.serverEvents.handshake?.peer == PeerIdentity(role: .operator, name: "alice"))

        // Several records in one delivery, then records cut at odd places.
        let message = TestCertificates.randomBytes(100_000)
        try pair.client.writeAndFlush(ByteBuffer(bytes: message)).wait()
        try pair.client.writeAndFlush(ByteBuffer(bytes: message)).wait()
        try pair.pump(chunk: 7919)
        #expect(Array(pair.serverEvents.received.readableBytesView) == message + message)
        #expect(pair.serverEvents.errors.isEmpty && pair.clientEvents.errors.isEmpty)
    }

    @Test("data written before the handshake completes is held back, then delivered")
    func writesWaitForHandshake() throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        let pair = try Pair(server: try certs.serverContext(), client: try certs.clientContext(certs.agent))
        let written = pair.client.writeAndFlush(ByteBuffer(string: "early"))
        #expect(pair.serverEvents.received.readableBytes == 0)
        try pair.pump()
        try written.wait()
        #expect(pair.serverEvents.received == ByteBuffer(string: "early"))
    }

    @Test("closing sends close_notify; the peer reports an orderly end and closes too")
    func closeNotify() throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        let pair = try Pair(server: try certs.serverContext(), client: try certs.clientContext(certs.agent))
        try pair.pump()
        let closed = pair.client.close()
        try pair.pump()
        try closed.wait()
        #expect(pair.serverEvents.closeNotify)
        #expect(!pair.server.isActive)
        #expect(pair.serverEvents.errors.isEmpty)
    }

    @Test("the handshake timeout fires on the injected clock, not before")
    func handshakeTimeout() throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        let channel = EmbeddedChannel()
        let events = EventCollector()
        try channel.pipeline.syncOperations.addHandlers(
            TLSHandler(context: try certs.serverContext(), handshakeTimeout: .seconds(10)), events)
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(events.errors.isEmpty && channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(events.errors.map(\.kind) == [.handshakeTimeout])
        #expect(!channel.isActive)
    }

    @Test("error reasons say what happened and hints say what to do")
    func readableErrors() throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        let pair = try Pair(server: try certs.serverContext(), client: try certs.clientContext(certs.expired))
        try pair.pump()
        let serverError = try #require(pair.serverEvents.errors.first)
        let clientError = try #require(pair.clientEvents.errors.first)
        #expect(serverError.reason.contains("client certificate has expired"))
        #expect(clientError.reason.contains("certificate expired"))
        #expect(!serverError.hint.isEmpty && !clientError.hint.isEmpty)
    }

    @Test("configuration errors name the file")
    func configurationErrors() throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        let missing = certs.path("missing.pem")
        let error = try #require(throws: TLSError.self) {
            try TLSContext.client(
                certificateChain: missing, privateKey: certs.agent.key, trustedCA: certs.caCertificate,
                serverName: nil)
        }
        #expect(error.kind == .configuration)
        #expect(error.reason.contains(missing))
        let mismatch = try #require(throws: TLSError.self) {
            try TLSContext.client(
                certificateChain: certs.agent.certificate, privateKey: certs.operatorAlice.key,
                trustedCA: certs.caCertificate, serverName: nil)
        }
        #expect(mismatch.reason.contains("does not match"))
    }
}
