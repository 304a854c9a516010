import Foundation
import KeepCore
import KeepProtocol
import KeepTestSupport
import Testing

/// Snapshots uploaded by a hostile agent (a hand-made session, `FakeAgent`): trees that break the
/// format are never committed, and trees that are valid but built to escape (a symlink, then a
/// directory of the same name) are restored by a real agent without writing outside the target.
@Suite("Restore of hostile snapshots", .timeLimit(.minutes(3)))
struct RestoreHostileTests {
    static let agents = [AgentSpec(host: "app-01", pool: "apps"), AgentSpec(host: "evil-01", pool: "apps")]

    @Test("trees with a repeated name or a '..' entry are refused at commit; the snapshot is never restorable")
    func undecodableTreesRefused() async throws {
        try await TestFleet.withFleet(agents: Self.agents, startAgents: false) { fleet in
            let evil = try await FakeAgent.connect(fleet, host: "evil-01", pool: "apps")
            let payload = Array("owned\n".utf8)
            let inner = RawTree.encode([.file("pwned", chunk: payload)])
            // `escape` twice: a symlink out of the target and a directory to write through it.
            let repeated = RawTree.encode([
                .symlink("escape", to: "/tmp/keep-outside"), .directory(Array("escape".utf8), subtree: inner),
            ])
            let dotDot = RawTree.encode([.directory([0x2e, 0x2e], subtree: inner)])
            for root in [repeated, dotDot] {
                let result = try await evil.backUp(
                    fleet, host: "evil-01", trees: [root, inner], chunks: [payload], root: root)
                #expect(result.status == 1, "\(result)")
                let host = try #require(try result.json(Keep_V1_JobResult.self).hosts.first)
                #expect(host.status == .failed)
                #expect(host.error.code == KeepError.Code.integrity.rawValue, "\(host.errorText)")
                #expect(host.errorText.contains("cannot be decoded"), "\(host.errorText)")
            }
            let snapshots = try await fleet.snapshots("--host", "evil-01")
            #expect(snapshots.count == 2)
            #expect(snapshots.allSatisfy { $0.status == "failed" }, "\(snapshots.map(\.status))")

            try await fleet.startAgent("app-01")
            try await fleet.waitForAgents(["app-01"])
            let target = try fleet.makeDirectory("target")
            for snapshot in snapshots {
                let refused = try await fleet.keepctl(
                    [
                        "restore", "--host", "evil-01", "--snapshot", snapshot.snapshotID, "--to-host", "app-01",
                        "--to", target,
                    ])
                #expect(refused.status != 0, "\(refused)")
                #expect(refused.standardError.contains("not complete"), "\(refused)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
            await evil.session.close()
        }
    }

    @Test("a symlink out of the target, then a directory of the same name: nothing is written outside")
    func symlinkThenDirectory() async throws {
        try await TestFleet.withFleet(agents: Self.agents, startAgents: false) { fleet in
            try await fleet.startAgent("app-01")
            try await fleet.waitForAgents(["app-01"])
            let evil = try await FakeAgent.connect(fleet, host: "evil-01", pool: "apps")
            // The directory a followed symlink would write into: outside the fleet, outside the target.
            var template = Array((NSTemporaryDirectory() + "keep-outside-XXXXXX").utf8CString)
            let outside = String(cString: try #require(mkdtemp(&template)))
            defer { try? FileManager.default.removeItem(atPath: outside) }

            // Two valid snapshots: first `escape -> outside`, then `escape/` holding a file.
            let linkRoot = RawTree.encode([.symlink("escape", to: outside)])
            let first = try await evil.backUp(fleet, host: "evil-01", trees: [linkRoot], root: linkRoot)
            try #require(first.status == 0, "\(first)")
            let payload = Array("owned\n".utf8)
            let inner = RawTree.encode([.file("pwned", chunk: payload)])
            let directoryRoot = RawTree.encode([.directory(Array("escape".utf8), subtree: inner)])
            let second = try await evil.backUp(
                fleet, host: "evil-01", trees: [directoryRoot, inner], chunks: [payload], root: directoryRoot)
            try #require(second.status == 0, "\(second)")
            let linkSnapshot = try #require(try first.json(Keep_V1_JobResult.self).hosts.first?.snapshotID)
            let directorySnapshot = try #require(try second.json(Keep_V1_JobResult.self).hosts.first?.snapshotID)

            // The symlink is restored as a symlink (it may point anywhere; it is never followed).
            let target = try fleet.makeDirectory("target")
            let restored = try await fleet.restore(
                "--host", "evil-01", "--snapshot", linkSnapshot, "--to-host", "app-01", "--to", target)
            #expect(restored.summary.symlinks == 1 && restored.summary.errors.isEmpty, "\(restored.summary)")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target + "/escape") == outside)

            // The directory's file would land in `outside` through the symlink: refused, whole or by --path.
            for paths in [[String](), ["--path", "/escape/pwned"]] {
                let refused = try await fleet.restore(
                    ["--host", "evil-01", "--snapshot", directorySnapshot, "--to-host", "app-01", "--to", target]
                        + paths,
                    expecting: 1)
                #expect(refused.summary.errors.contains { $0.path == "/escape" }, "\(refused.summary.errors)")
                #expect(refused.summary.files == 0)
                #expect(
                    try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty, "written through the symlink")
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target + "/escape") == outside)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: target) == ["escape"])
            await evil.session.close()
        }
    }
}
