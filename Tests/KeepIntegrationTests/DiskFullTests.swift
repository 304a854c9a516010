import Foundation
import KeepProtocol
import KeepTestSupport
import Testing

/// The controller's disk fills up during a backup: the host fails with a clear error, nothing already
/// stored is damaged, and backups work again once there is room.
@Suite("Controller disk full", .timeLimit(.minutes(3)))
struct DiskFullTests {
    /// Mounting a small tmpfs needs root (CI runs as root); elsewhere the test is skipped.
    static let canMount = getuid() == 0

    @Test("a backup that does not fit fails clearly; earlier sets stay intact; later backups work", .enabled(if: canMount))
    func diskFull() async throws {
        try await TestFleet.withFleet(agents: [AgentSpec(host: "app-01", pool: "apps")]) { fleet in
            // Put the controller's data directory on a 12 MiB filesystem.
            await fleet.stopController()
            try FileManager.default.removeItem(atPath: fleet.dataDirectory)
            try FileManager.default.createDirectory(atPath: fleet.dataDirectory, withIntermediateDirectories: true)
            try Self.run("/bin/mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", fleet.dataDirectory)
            defer { try? Self.run("/bin/umount", "-l", fleet.dataDirectory) }
            let port = fleet.port
            try await fleet.startController(port: port)
            try await fleet.waitForAgents(["app-01"])

            let source = fleet.sourceDirectory(of: "app-01")
            try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            try FixtureTree.writeRandom(source + "/small.bin", count: 2 << 20, seed: 1)
            let first = try await fleet.backup("--host", "app-01")

            try FixtureTree.writeRandom(source + "/big.bin", count: 24 << 20, seed: 2)
            let full = try await fleet.keepctl(["backup", "--host", "app-01", "--json"])
            #expect(full.status == 1, "\(full)")
            let host = try #require(try full.json(Keep_V1_JobResult.self).hosts.first)
            #expect(host.status == .failed)
            #expect(host.error.reason.contains("disk") || host.error.reason.contains("space"), "\(host.error)")

            let verify = try await fleet.keepctl(["verify", "--set", first.setID, "--read-data"])
            #expect(verify.status == 0, "the earlier set is intact: \(verify)")
            let packs = try FileManager.default.subpathsOfDirectory(atPath: fleet.dataDirectory + "/packs")
            #expect(!packs.contains { $0.contains(".tmp") || $0.contains("tmp-") }, "no half-written pack: \(packs)")

            try FileManager.default.removeItem(atPath: source + "/big.bin")
            let again = try await fleet.backup("--host", "app-01")
            #expect(again.hosts.first?.status == .ok)
        }
    }

    static func run(_ executable: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(executable) \(arguments) failed"])
        }
    }
}
