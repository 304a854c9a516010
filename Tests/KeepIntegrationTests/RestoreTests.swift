import Foundation
import KeepCore
import KeepProtocol
import KeepTestSupport
import Testing

/// `keepctl restore` end to end: a real backup, then the agent pulls the snapshot back through the
/// controller and writes it to disk; the result is compared with the original by manifest.
@Suite("Fleet restore", .timeLimit(.minutes(3)))
struct RestoreTests {
    @Test("every file type and odd metadata survive a backup and keepctl restore --to DIR")
    func roundTrip() async throws {
        try await TestFleet.withFleet(agents: [AgentSpec(host: "app-01", pool: "apps")]) { fleet in
            let source = fleet.sourceDirectory(of: "app-01")
            try FixtureTree.populateOddities(source, seed: 1)
            let original = try manifest(of: source)
            let backup = try await fleet.backup("--host", "app-01")
            let snapshot = try #require(backup.hosts.first)
            #expect(snapshot.status == .ok, "\(snapshot.errorText)")

            let target = try fleet.makeDirectory("restored")
            let result = try await fleet.restore("--host", "app-01", "--snapshot", snapshot.snapshotID, "--to", target)
            #expect(result.hostID == "app-01" && !result.dryRun)
            #expect(result.summary.errors.isEmpty, "\(result.summary.errors)")
            // The snapshot's paths are absolute: the source lands at target + its original path.
            let restored = try manifest(of: target + source)
            #expect(restored.differences(from: original) == [])
            let kinds = Set(original.entries.values.map(\.kind))
            #expect(kinds == [.file, .directory, .symlink, .fifo, .characterDevice, .blockDevice, .socket])
            #expect(original.entries.values.filter { !$0.extendedAttributes.isEmpty }.count == 3)
            #expect(original.entries.values.filter { !$0.hardLinkedTo.isEmpty }.count == 3)
            #expect(result.summary.files == UInt64(original.entries.values.filter { $0.kind == .file }.count))
            // The original was only read.
            #expect(try manifest(of: source) == original)
        }
    }

    @Test("a directory the target blocks is reported; everything after it in the snapshot is restored")
    func blockedDirectory() async throws {
        try await TestFleet.withFleet(agents: [AgentSpec(host: "app-01", pool: "apps")]) { fleet in
            let source = fleet.sourceDirectory(of: "app-01")
            // More objects under the blocked directory than the agent requests ahead (1,024), so it must
            // notice it skipped them rather than wait for them.
            for (directory, count) in [("a", 3_000), ("b", 400)] {
                try FileManager.default.createDirectory(
                    atPath: source + "/" + directory, withIntermediateDirectories: true)
                for index in 0..<count {
                    try Data("\(directory) \(index)\n".utf8).write(to: URL(fileURLWithPath: "\(source)/\(directory)/f\(index)"))
                }
            }
            let backup = try await fleet.backup("--host", "app-01")
            let snapshot = try #require(backup.hosts.first)
            #expect(snapshot.status == .ok, "\(snapshot.errorText)")
            let target = try fleet.makeDirectory("restored")
            try FileManager.default.createDirectory(atPath: target + source, withIntermediateDirectories: true)
            try Data("in the way".utf8).write(to: URL(fileURLWithPath: target + source + "/a"))

            let result = try await fleet.restore(
                "--host", "app-01", "--snapshot", snapshot.snapshotID, "--to", target, expecting: 1)

            #expect(result.summary.errors.map(\.path) == [source + "/a"])
            #expect(result.summary.files == 400)
            let original = try manifest(of: source + "/b")
            #expect(try manifest(of: target + source + "/b").differences(from: original) == [])
            #expect(try String(contentsOfFile: target + source + "/a", encoding: .utf8) == "in the way")
        }
    }

    @Test("restore --in-place --path brings deleted and modified files back; --dry-run writes nothing")
    func inPlace() async throws {
        try await TestFleet.withFleet(agents: [AgentSpec(host: "app-01", pool: "apps")]) { fleet in
            let source = fleet.sourceDirectory(of: "app-01")
            try FixtureTree.populate(source, seed: 2)
            let selected = source + "/etc"
            let before = try manifest(of: selected)
            let snapshot = try #require(try await fleet.backup("--host", "app-01").hosts.first?.snapshotID)

            // Damage below the selected path, and change a file outside it.
            try FixtureTree.write(selected + "/app/app.conf", "listen = 9999\n", mode: 0o666)
            try FileManager.default.removeItem(atPath: selected + "/app/secret.key")
            try FixtureTree.write(source + "/empty.txt", "changed outside the restored path\n")
            let damaged = try manifest(of: selected)
            let outside = try manifest(of: source).filter { !$0.hasPrefix("etc") }

            let dryRun = try await fleet.restore(
                "--host", "app-01", "--snapshot", snapshot, "--in-place", "--path", selected, "--dry-run")
            #expect(dryRun.dryRun)
            #expect(
                dryRun.summary.wouldWrite.contains("file \(selected)/app/secret.key"), "\(dryRun.summary.wouldWrite)")
            #expect(dryRun.summary.wouldWrite.contains("file \(selected)/app/app.conf"))
            #expect(try manifest(of: selected) == damaged, "the dry run wrote something")

            let result = try await fleet.restore(
                "--host", "app-01", "--snapshot", snapshot, "--in-place", "--path", selected)
            #expect(result.summary.errors.isEmpty, "\(result.summary.errors)")
            #expect(try manifest(of: selected).differences(from: before) == [])
            let outsideAfter = try manifest(of: source).filter { !$0.hasPrefix("etc") }
            #expect(outsideAfter.differences(from: outside) == [], "restore --path touched files outside the path")
        }
    }

    @Test("restore --to-host writes host A's snapshot with agent B")
    func toAnotherHost() async throws {
        let agents = [AgentSpec(host: "web-01", pool: "fe-01"), AgentSpec(host: "web-02", pool: "fe-01")]
        try await TestFleet.withFleet(agents: agents) { fleet in
            let source = fleet.sourceDirectory(of: "web-01")
            try FixtureTree.populate(source, seed: 3)
            let original = try manifest(of: source)
            let snapshot = try #require(try await fleet.backup("--host", "web-01").hosts.first?.snapshotID)

            let target = try fleet.makeDirectory("hosts/web-02/from-web-01")
            let result = try await fleet.restore(
                "--host", "web-01", "--snapshot", snapshot, "--to-host", "web-02", "--to", target)
            #expect(result.hostID == "web-02")
            #expect(result.snapshotID == snapshot)
            #expect(result.summary.errors.isEmpty, "\(result.summary.errors)")
            #expect(try manifest(of: target + source).differences(from: original) == [])
            // The receiving agent did the work; the snapshot's own host was not involved.
            let receiverLog = try #require(fleet.agent("web-02")).standardError
            let ownerLog = try #require(fleet.agent("web-01")).standardError
            #expect(receiverLog.contains(result.jobID), "web-02's log does not mention \(result.jobID)")
            #expect(!ownerLog.contains(result.jobID))
        }
    }
}
