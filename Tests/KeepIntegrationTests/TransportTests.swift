import Foundation
import KeepCore
@testable import KeepCrypto
import KeepProtocol
import KeepTestSupport
import KeepTransport
import Testing

/// Secure transport against bad certificates and bad identities. After each refused peer the
/// controller must still serve a good operator.
@Suite("Secure transport", .timeLimit(.minutes(3)))
struct TransportTests {
    static let agents = [AgentSpec(host: "web-01", pool: "fe-01")]

    @Test("peers without a valid certificate are refused; the controller keeps serving")
    func badCertificates() async throws {
        try await TestFleet.withFleet(agents: Self.agents, startAgents: false) { fleet in
            // No client certificate at all.
            let anonymous = try TLSContext.makeClient(
                certificateChain: nil, privateKey: nil, trustedCA: fleet.certificateAuthorityPath, serverName: "127.0.0.1")
            await #expect(throws: (any Error).self) {
                _ = try await ClientSession.open(
                    host: "127.0.0.1", port: fleet.port, tls: anonymous,
                    configuration: .init(role: .operator, hostID: "admin", softwareVersion: "test"))
            }
            try await fleet.expectControllerServes("after a client without a certificate")

            // A certificate from another CA.
            let other = PKIDirectory(fleet.root + "/other-pki")
            try other.initialize(name: "Another CA", validityDays: 30)
            _ = try other.issue(for: PeerIdentity(role: .operator, name: "admin"), validityDays: 30)
            let foreign = try await fleet.keepctl([
                "agents", "--cert", other.root + "/operators/admin.pem", "--key", other.root + "/operators/admin.key",
            ])
            #expect(foreign.status == 3, "\(foreign)")
            #expect(foreign.standardError.contains("error"), "\(foreign)")
            try await fleet.expectControllerServes("after a certificate from another CA")

            // An expired certificate of the right CA.
            let now = Int64(Date().timeIntervalSince1970)
            let expired = try fleet.issueUnrecorded(
                for: PeerIdentity(role: .operator, name: "old-admin"), notBefore: now - 20 * 86400,
                notAfter: now - 86400, label: "expired")
            let late = try await fleet.keepctl(["agents", "--cert", expired.certificate, "--key", expired.key])
            #expect(late.status == 3, "\(late)")
            try await fleet.expectControllerServes("after an expired certificate")
            let log = fleet.controller?.standardError ?? ""
            #expect(log.localizedCaseInsensitiveContains("expired"), "the controller log does not say why")
        }
    }

    @Test("a certificate revoked while the controller runs is refused on the agent's next connection")
    func revokedWhileRunning() async throws {
        try await TestFleet.withFleet(agents: Self.agents) { fleet in
            let revoke = try await fleet.keepctl(["pki", "revoke", "--dir", fleet.pki.root, "--host", "web-01"])
            #expect(revoke.status == 0, "\(revoke)")
            await fleet.killAgent("web-01")
            try await fleet.startAgent("web-01")
            try await waitUntil("the restarted agent's connection was refused") {
                fleet.agent("web-01")?.standardError.contains("cannot connect") == true
            }
            #expect(try await !fleet.connectedAgents().contains("web-01"))
            #expect(fleet.controller?.standardError.localizedCaseInsensitiveContains("revoked") == true)
            try await fleet.expectControllerServes("after a revoked agent")
        }
    }

    @Test("an agent certificate cannot run operator commands")
    func agentAsOperator() async throws {
        try await TestFleet.withFleet(agents: Self.agents, startAgents: false) { fleet in
            let identity = PeerIdentity(role: .agent, name: "web-01", pool: "fe-01")
            let result = try await fleet.keepctl([
                "agents", "--cert", fleet.pki.certificatePath(for: identity), "--key", fleet.pki.keyPath(for: identity),
            ])
            #expect([3, 4].contains(result.status), "\(result)")
            #expect(result.standardError.contains("keepctl: error:"), "\(result)")
            #expect(result.standardOutput.isEmpty)
            try await fleet.expectControllerServes("after an agent certificate used by keepctl")
        }
    }

    @Test("an agent whose Hello claims another host than its certificate is refused (identity mismatch)")
    func helloIdentityMismatch() async throws {
        try await TestFleet.withFleet(agents: Self.agents, startAgents: false) { fleet in
            let identity = PeerIdentity(role: .agent, name: "web-01", pool: "fe-01")
            let tls = try TLSContext.client(
                certificateChain: fleet.pki.certificatePath(for: identity), privateKey: fleet.pki.keyPath(for: identity),
                trustedCA: fleet.certificateAuthorityPath, serverName: "127.0.0.1")
            for (host, pool) in [("db-01", "fe-01"), ("web-01", "be-01")] {
                do {
                    let session = try await ClientSession.open(
                        host: "127.0.0.1", port: fleet.port, tls: tls,
                        configuration: .init(role: .agent, hostID: host, pool: pool, softwareVersion: "test"))
                    await session.close()
                    Issue.record("a Hello as \(host)/\(pool) with web-01's certificate was accepted")
                } catch let error as KeepError {
                    #expect(error.code == .identityMismatch, "\(error)")
                }
            }
            #expect(try await fleet.connectedAgents().isEmpty)
            try await fleet.expectControllerServes("after a Hello with a false identity")
        }
    }
}
