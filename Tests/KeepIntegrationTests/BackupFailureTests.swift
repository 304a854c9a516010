import Foundation
import KeepCore
import KeepCrypto
import KeepProtocol
import KeepTestSupport
import KeepTransport
import NIOCore
import Testing

/// Backups that go wrong: failing hooks, offline hosts, processes killed mid-backup, bad objects,
/// damaged packs. Each must be reported, never recorded as a good snapshot.
@Suite("Fleet backup failures", .timeLimit(.minutes(3)))
struct BackupFailureTests {
    /// A pre-backup hook that blocks (touches `started`, sleeps) while `armed` exists, so a test can
    /// kill a process while a backup is in progress at a known point.
    static func blockingHook(root: String) -> [String] {
        ["/bin/sh", "-c", "if [ -e \(root)/armed ]; then touch \(root)/hook-started; sleep 60; fi"]
    }

    /// Arms the blocking hook of app-01's agent, starts `keepctl` with `arguments` and returns it once the
    /// backup is running on the agent (held in its pre-backup hook).
    static func startBlockedBackup(_ fleet: TestFleet, arguments: [String]) async throws -> ChildProcess {
        try fleet.write("", to: "armed")
        let backup = try fleet.startKeepctl(arguments)
        try await waitUntil("the backup is running on app-01") {
            FileManager.default.fileExists(atPath: fleet.root + "/hook-started")
        }
        return backup
    }

    @Test("a failing pre-backup hook fails that host with the hook's output, exit status 1")
    func failingHook() async throws {
        let hook = ["/bin/sh", "-c", "echo 'pg_dump: connection refused' >&2; exit 3"]
        let agents = [AgentSpec(host: "db-01", pool: "be-01", preBackupHook: hook), AgentSpec(host: "db-02", pool: "be-01")]
        try await TestFleet.withFleet(agents: agents) { fleet in
            try FixtureTree.populate(fleet.sourceDirectory(of: "db-02"), seed: 2)
            let result = try await fleet.backup("--pool", "be-01", expecting: 1)
            let failed = try #require(result.hosts.first { $0.hostID == "db-01" })
            #expect(failed.status == .failed)
            #expect(failed.errorText.contains("pg_dump: connection refused"), "\(failed.errorText)")
            #expect(result.hosts.first { $0.hostID == "db-02" }?.status == .ok)
            let snapshots = try await fleet.snapshots("--host", "db-01")
            #expect(!snapshots.isEmpty && snapshots.allSatisfy { $0.status != "complete" })
        }
    }

    @Test("an agent that connected once, then stopped, is listed OFFLINE and the exit status is 1")
    func offlineHost() async throws {
        let agents = [AgentSpec(host: "web-01", pool: "fe-01"), AgentSpec(host: "web-02", pool: "fe-01")]
        try await TestFleet.withFleet(agents: agents) { fleet in
            await fleet.stopAgent("web-02")
            try await waitUntil("web-02 is no longer connected") {
                try await !fleet.connectedAgents().contains("web-02")
            }
            let result = try await fleet.keepctl(["backup", "--pool", "fe-01"])
            #expect(result.status == 1, "\(result)")
            let line = result.standardOutput.split(separator: "\n").first { $0.hasPrefix("web-02") }
            #expect(line?.contains("OFFLINE") == true, "\(result)")
            let okLine = result.standardOutput.split(separator: "\n").first { $0.hasPrefix("web-01") }
            #expect(okLine?.contains(" ok ") == true, "\(result)")
        }
    }

    @Test("an agent killed during a backup: the snapshot is failed, never complete; the next backup works")
    func agentKilled() async throws {
        try await TestFleet.withFleet(agents: [AgentSpec(host: "app-01", pool: "apps")]) { fleet in
            try FixtureTree.populate(fleet.sourceDirectory(of: "app-01"), seed: 1)
            try await fleet.startAgent("app-01", preBackupHook: Self.blockingHook(root: fleet.root))
            try await fleet.waitForAgents(["app-01"])
            let arguments = ["backup", "--host", "app-01", "--json"]
            let backup = try await Self.startBlockedBackup(fleet, arguments: arguments)
            await fleet.killAgent("app-01")
            let result = try await fleet.result(of: backup, arguments: arguments)
            #expect(result.status == 1, "\(result)")
            let host = try #require(try result.json(Keep_V1_JobResult.self).hosts.first)
            #expect(host.status == .failed)
            let snapshots = try await fleet.snapshots("--host", "app-01")
            #expect(snapshots.count == 1)
            #expect(snapshots.allSatisfy { $0.status == "failed" }, "\(snapshots.map(\.status))")

            try FileManager.default.removeItem(atPath: fleet.root + "/armed")
            try await fleet.startAgent("app-01")
            try await fleet.waitForAgents(["app-01"])
            let again = try await fleet.backup("--host", "app-01")
            #expect(again.hosts.first?.status == .ok)
            let complete = try await fleet.snapshots("--host", "app-01").filter { $0.status == "complete" }
            #expect(complete.map(\.snapshotID) == [again.hosts.first?.snapshotID])
        }
    }

    @Test("a controller killed during a backup: on restart the set is interrupted and verify finds no damage")
    func controllerKilled() async throws {
        try await TestFleet.withFleet(agents: [AgentSpec(host: "app-01", pool: "apps")]) { fleet in
            try FixtureTree.populate(fleet.sourceDirectory(of: "app-01"), seed: 1)
            try await fleet.startAgent("app-01", preBackupHook: Self.blockingHook(root: fleet.root))
            try await fleet.waitForAgents(["app-01"])
            let good = try await fleet.backup("--host", "app-01")
            let backup = try await Self.startBlockedBackup(fleet, arguments: ["backup", "--host", "app-01"])
            await fleet.killController()
            #expect(try await backup.waitForExit(timeout: .seconds(30)) != 0)

            try await fleet.startController(port: fleet.port)
            let sets = try await fleet.sets()
            let interrupted = try #require(sets.first { $0.setID != good.setID }, "\(sets)")
            #expect(interrupted.status == "interrupted")
            #expect(sets.first { $0.setID == good.setID }?.status == "complete")
            let snapshots = try await fleet.snapshots("--set", interrupted.setID)
            #expect(snapshots.allSatisfy { $0.status != "complete" && $0.status != "running" }, "\(snapshots.map(\.status))")
            let verify = try await fleet.keepctl(["verify", "--read-data"])
            #expect(verify.status == 0, "\(verify)")
        }
    }

    @Test("verify --read-data finds a flipped byte in a pack and names the affected snapshots (exit 1)")
    func flippedByte() async throws {
        try await TestFleet.withFleet(agents: [AgentSpec(host: "app-01", pool: "apps")]) { fleet in
            try FixtureTree.writeRandom(fleet.sourceDirectory(of: "app-01") + "/data.bin", count: 2_000_000, seed: 9)
            let backup = try await fleet.backup("--host", "app-01")
            let snapshot = try #require(backup.hosts.first?.snapshotID)
            let clean = try await fleet.keepctl(["verify", "--read-data"])
            #expect(clean.status == 0, "\(clean)")

            await fleet.stopController()
            let largest = try #require(
                try fleet.packFiles().max { try Self.size($0) < Self.size($1) }, "no pack file was written")
            let handle = try #require(FileHandle(forUpdatingAtPath: largest))
            let offset = try Self.size(largest) / 2
            try handle.seek(toOffset: offset)
            let byte = try #require(try handle.read(upToCount: 1)?.first)
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: [byte ^ 0x01])
            try handle.close()
            try await fleet.startController()

            let result = try await fleet.keepctl(["verify", "--read-data", "--json"])
            #expect(result.status == 1, "\(result)")
            let damage = try result.json(Keep_V1_VerifyResponse.self).damage
            #expect(!damage.isEmpty)
            #expect(damage.allSatisfy { $0.affectedSnapshots.contains(snapshot) }, "\(damage)")
            let text = try await fleet.keepctl(["verify", "--read-data"])
            #expect(text.status == 1 && text.standardOutput.contains(snapshot), "\(text)")
        }
    }

    @Test("a CHUNK whose bytes do not match its id is refused and the host's backup fails")
    func mismatchedChunk() async throws {
        try await TestFleet.withFleet(agents: [AgentSpec(host: "fake-01", pool: "apps")], startAgents: false) { fleet in
            let identity = PeerIdentity(role: .agent, name: "fake-01", pool: "apps")
            let tls = try TLSContext.client(
                certificateChain: fleet.pki.certificatePath(for: identity), privateKey: fleet.pki.keyPath(for: identity),
                trustedCA: fleet.certificateAuthorityPath, serverName: "127.0.0.1")
            let session = try await ClientSession.open(
                host: "127.0.0.1", port: fleet.port, tls: tls,
                configuration: .init(role: .agent, hostID: "fake-01", pool: "apps", softwareVersion: "test agent"))
            let arguments = ["backup", "--host", "fake-01", "--json"]
            let backup = try fleet.startKeepctl(arguments)

            var commandID: UInt64?
            for await frame in session.incoming {
                if case .control(let envelope) = frame, case .backupCommand = envelope.body {
                    commandID = envelope.requestID
                    break
                }
            }
            let requestID = try #require(commandID, "no BackupCommand arrived")
            let payload = [UInt8](repeating: 0x41, count: 4096)
            let wrongID = SHA256.hash([UInt8](repeating: 0x42, count: 4096))
            var buffer = ByteBufferAllocator().buffer(capacity: payload.count)
            buffer.writeBytes(payload)
            try await session.send(
                .chunk(ChunkFrame(id: wrongID, type: .data, compression: .none, plaintextLength: 4096, payload: buffer)))

            let result = try await fleet.result(of: backup, arguments: arguments)
            #expect(result.status == 1, "\(result)")
            let host = try #require(try result.json(Keep_V1_JobResult.self).hosts.first)
            #expect(host.status == .failed)
            #expect(host.error.code == KeepError.Code.integrity.rawValue, "\(host.errorText)")
            #expect(host.errorText.contains("does not match its id"), "\(host.errorText)")
            // The controller told the agent to stop, under the command's request id.
            var stopped = false
            for await frame in session.incoming {
                if case .control(let envelope) = frame, envelope.requestID == requestID, case .error = envelope.body {
                    stopped = true
                    break
                }
            }
            #expect(stopped)
            await session.close()
            #expect(try fleet.packFiles().isEmpty, "the refused object reached the store")
        }
    }

    private static func size(_ path: String) throws -> UInt64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? 0
    }
}
