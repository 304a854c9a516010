import Foundation
import KeepCore
import NIOCore
import NIOPosix
import Testing

@testable import KeepCrypto

@Suite("TLS handler over real sockets")
struct TLSHandlerTests {
    @Test("mutual handshake names both peers and echoes 4 MiB intact; close_notify ends the server side cleanly")
    func goodHandshakeAndEcho() async throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        try await TLSTestServer.with(context: try certs.serverContext()) { server in
            let payload = TestCertificates.randomBytes(4 * 1024 * 1024)
            let client = try await server.connect(try certs.clientContext(certs.agent), expectedBytes: payload.count)
            let handshake = try await client.handshake.get()
            #expect(handshake.peer == PeerIdentity(role: .controller, name: "localhost"))
            #expect(handshake.certificateFingerprint.count == 64)
            #expect(handshake.certificateNotAfter > Int64(Date().timeIntervalSince1970))

            try await client.channel.writeAndFlush(ByteBuffer(bytes: payload))
            let echoed = try await client.received.get()
            #expect(echoed.readableBytes == payload.count)
            #expect(Array(echoed.readableBytesView) == payload)

            try await client.channel.close()
            let clientOutcome = try await client.finished.get()
            #expect(clientOutcome.errors.isEmpty)
            let serverOutcome = try await server.nextOutcome()
            #expect(serverOutcome.handshake?.peer == PeerIdentity(role: .agent, name: "web-01", pool: "fe-01"))
            #expect(serverOutcome.closeNotifyReceived)
            #expect(serverOutcome.errors.isEmpty)
            #expect(serverOutcome.otherErrors.isEmpty)
        }
    }

    /// A client the server must refuse, the error each side should report.
    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let client: @Sendable (TestCertificates) -> TestCertificates.Pair?
        let serverError: TLSError.Kind
        let clientError: TLSError.Kind
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(
            name: "no certificate", client: { _ in nil }, serverError: .noPeerCertificate,
            clientError: .noPeerCertificate),
        Refusal(
            name: "other CA", client: { $0.otherCA }, serverError: .untrustedCertificate,
            clientError: .untrustedCertificate),
        Refusal(
            name: "expired", client: { $0.expired }, serverError: .expiredCertificate,
            clientError: .expiredCertificate),
        Refusal(
            name: "no Keep identity", client: { $0.noIdentity }, serverError: .invalidIdentity,
            clientError: .protocolFailure),
        Refusal(
            name: "role not allowed", client: { $0.operatorAlice }, serverError: .roleNotAllowed,
            clientError: .protocolFailure),
    ]

    @Test("the server refuses bad clients with a precise error and keeps serving", arguments: refusals)
    func refusal(_ refusal: Refusal) async throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        let context = try certs.serverContext(acceptedRoles: [.agent])
        try await TLSTestServer.with(context: context) { server in
            let client = try await server.connect(try certs.clientContext(refusal.client(certs)))
            let clientOutcome = try await client.finished.get()
            let serverOutcome = try await server.nextOutcome()
            #expect(serverOutcome.firstError == refusal.serverError, "\(serverOutcome.errors)")
            #expect(serverOutcome.handshake == nil)
            #expect(clientOutcome.firstError == refusal.clientError, "\(clientOutcome.errors)")
            try await expectServes(server, certs)
        }
    }

    @Test("a CRL rewritten after the server started refuses the revoked certificate on the next connection")
    func revocationTakesEffectWithoutRestart() async throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        let crl = certs.path("live-crl.pem")
        try FileManager.default.copyItem(atPath: certs.emptyCRL, toPath: crl)
        try await TLSTestServer.with(context: try certs.serverContext(revocationList: crl)) { server in
            let before = try await server.connect(try certs.clientContext(certs.revoked))
            #expect(try await before.handshake.get().peer.name == "localhost")
            try await before.channel.close()
            #expect(try await server.nextOutcome().handshake?.peer.name == "lost-01")

            let data = try Data(contentsOf: URL(fileURLWithPath: certs.revokingCRL))
            try data.write(to: URL(fileURLWithPath: crl), options: .atomic)

            let after = try await server.connect(try certs.clientContext(certs.revoked))
            let clientOutcome = try await after.finished.get()
            let serverOutcome = try await server.nextOutcome()
            #expect(serverOutcome.firstError == .revokedCertificate, "\(serverOutcome.errors)")
            #expect(clientOutcome.firstError == .revokedCertificate, "\(clientOutcome.errors)")
            try await expectServes(server, certs)
        }
    }

    @Test("random bytes and plain HTTP are reported as not TLS", arguments: [false, true])
    func notTLS(http: Bool) async throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        try await TLSTestServer.with(context: try certs.serverContext()) { server in
            let plain = try await server.connectPlain()
            let bytes = http ? Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8) : TestCertificates.randomBytes(300)
            try await plain.writeAndFlush(ByteBuffer(bytes: http ? bytes : [0x47] + bytes))
            try await plain.closeFuture.get()
            let outcome = try await server.nextOutcome()
            #expect(outcome.firstError == .notTLS, "\(outcome.errors)")
            if http { #expect(outcome.errors.first?.reason.contains("HTTP") == true) }
            try await expectServes(server, certs)
        }
    }

    @Test("a peer that says nothing is dropped after the handshake timeout")
    func silentPeerTimesOut() async throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        try await TLSTestServer.with(context: try certs.serverContext(), handshakeTimeout: .milliseconds(300)) {
            server in
            let started = ContinuousClock.now
            let plain = try await server.connectPlain()
            try await plain.closeFuture.get()
            #expect(ContinuousClock.now - started >= .milliseconds(250))
            let outcome = try await server.nextOutcome()
            #expect(outcome.firstError == .handshakeTimeout, "\(outcome.errors)")
            #expect(outcome.errors.first?.reason.contains("300 ms") == true)
        }
    }

    @Test("the client refuses a server whose certificate names another host")
    func serverNameMismatch() async throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        try await TLSTestServer.with(context: try certs.serverContext()) { server in
            let client = try await server.connect(try certs.clientContext(certs.agent, serverName: "keep.example.net"))
            let outcome = try await client.finished.get()
            #expect(outcome.firstError == .serverNameMismatch, "\(outcome.errors)")
            #expect(try await server.nextOutcome().errors.isEmpty == false)
            let byIP = try await server.connect(try certs.clientContext(certs.agent, serverName: "127.0.0.1"))
            #expect(try await byIP.handshake.get().peer.role == .controller)
            try await byIP.channel.close()
        }
    }

    @Test("the client refuses a server that is not a controller")
    func serverMustBeController() async throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        try await TLSTestServer.with(context: try certs.serverContext(identity: certs.agent)) { server in
            let client = try await server.connect(try certs.clientContext(certs.operatorAlice, serverName: nil))
            let outcome = try await client.finished.get()
            #expect(outcome.firstError == .roleNotAllowed, "\(outcome.errors)")
            #expect(outcome.handshake == nil)
        }
    }

    /// A good agent still gets through.
    private func expectServes(_ server: TLSTestServer, _ certs: TestCertificates) async throws {
        let client = try await server.connect(try certs.clientContext(certs.agent), expectedBytes: 5)
        #expect(try await client.handshake.get().peer.role == .controller)
        try await client.channel.writeAndFlush(ByteBuffer(string: "hello"))
        #expect(try await client.received.get() == ByteBuffer(string: "hello"))
        try await client.channel.close()
        #expect(try await server.nextOutcome().handshake?.peer.name == "web-01")
    }
}
