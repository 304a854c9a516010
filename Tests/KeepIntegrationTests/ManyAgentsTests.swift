import Foundation
import KeepCore
import KeepCrypto
import KeepProtocol
import KeepTestSupport
import KeepTransport
import Testing

@Suite("Secure transport: load", .timeLimit(.minutes(2)))
struct ManyAgentsTests {
    @Test("200 agents connecting at once are all welcomed and listed as connected")
    func twoHundredAgents() async throws {
        try await TestFleet.withFleet { fleet in
            let count = 200
            let now = Int64(Date().timeIntervalSince1970)
            var contexts: [(String, TLSContext)] = []
            for index in 0..<count {
                let host = String(format: "node-%03d", index)
                let files = try fleet.issueUnrecorded(
                    for: PeerIdentity(role: .agent, name: host, pool: "pool-\(index % 4)"), notBefore: now - 300,
                    notAfter: now + 86400, label: host)
                let tls = try TLSContext.client(
                    certificateChain: files.certificate, privateKey: files.key, trustedCA: fleet.certificateAuthorityPath,
                    serverName: "127.0.0.1")
                contexts.append((host, tls))
            }
            let port = fleet.port
            let sessions = try await withThrowingTaskGroup(of: ClientSession.self) { group in
                for (index, (host, tls)) in contexts.enumerated() {
                    group.addTask {
                        try await ClientSession.open(
                            host: "127.0.0.1", port: port, tls: tls,
                            configuration: .init(role: .agent, hostID: host, pool: "pool-\(index % 4)", softwareVersion: "load"))
                    }
                }
                var sessions: [ClientSession] = []
                for try await session in group { sessions.append(session) }
                return sessions
            }
            #expect(sessions.count == count)
            #expect(sessions.allSatisfy { $0.welcome.controllerName == fleet.controllerName })
            let connected = try await fleet.connectedAgents()
            #expect(connected.count == count)
            for session in sessions { await session.close() }
        }
    }
}
