import Foundation
import KeepCore
import KeepCrypto
import KeepProtocol
import KeepTestSupport
import NIOCore
import Testing

/// Malformed traffic straight at the controller's socket. Each case ends with the controller
/// closing that connection and still serving others.
@Suite("Secure transport: malformed traffic", .timeLimit(.minutes(3)))
struct RawSocketTests {
    static let agents = [AgentSpec(host: "web-01", pool: "fe-01")]

    static func agentTLS(_ fleet: TestFleet) throws -> TLSContext {
        let identity = PeerIdentity(role: .agent, name: "web-01", pool: "fe-01")
        return try TLSContext.client(
            certificateChain: fleet.pki.certificatePath(for: identity), privateKey: fleet.pki.keyPath(for: identity),
            trustedCA: fleet.certificateAuthorityPath, serverName: "127.0.0.1")
    }

    @Test("a frame length over the maximum: the controller answers with a protocol error and closes")
    func oversizedFrame() async throws {
        try await TestFleet.withFleet(agents: Self.agents, startAgents: false) { fleet in
            let peer = try await RawPeer.connect(port: fleet.port, tls: Self.agentTLS(fleet))
            try await peer.handshake.get()
            try await peer.write([0x7f, 0xff, 0xff, 0xff, 0x01])
            try await peer.waitUntilClosed(timeout: .seconds(10))
            let errors = peer.frames.compactMap { frame -> Keep_V1_Error? in
                if case .control(let envelope) = frame, case .error(let error) = envelope.body { return error }
                return nil
            }
            #expect(errors.map(\.code) == [KeepError.Code.protocolViolation.rawValue], "\(peer.frames)")
            try await fleet.expectControllerServes("after an oversized frame")
        }
    }

    @Test("a truncated frame, then close; random bytes instead of TLS; a silent peer")
    func truncatedGarbageAndSilence() async throws {
        try await TestFleet.withFleet(agents: Self.agents, startAgents: false) { fleet in
            // Silent: connects and sends nothing; the handshake timeout (10 s) closes it.
            let silent = try await RawPeer.connect(port: fleet.port, tls: nil)
            let started = ContinuousClock.now

            let truncated = try await RawPeer.connect(port: fleet.port, tls: Self.agentTLS(fleet))
            try await truncated.handshake.get()
            try await truncated.write([0, 0, 0, 100, 0x01] + [UInt8](repeating: 0x08, count: 10))
            await truncated.close()
            try await fleet.expectControllerServes("after a truncated frame")

            let garbage = try await RawPeer.connect(port: fleet.port, tls: nil)
            try await garbage.write((0..<4096).map { _ in UInt8.random(in: 0...255) })
            try await garbage.waitUntilClosed(timeout: .seconds(10))
            try await fleet.expectControllerServes("after random bytes instead of TLS")

            try await silent.waitUntilClosed(timeout: .seconds(20))
            #expect(ContinuousClock.now - started >= .seconds(5), "closed before any handshake timeout")
            try await fleet.expectControllerServes("after a silent peer")
            // The agent certificate still works for a real agent.
            try await fleet.startAgent("web-01")
            try await fleet.waitForAgents(["web-01"])
        }
    }
}
