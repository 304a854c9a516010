import Foundation
import KeepCore
import KeepProtocol
import KeepTestSupport
import Testing

/// `keepctl diff` between the set taken before a migration and the one after it.
@Suite("Diff", .timeLimit(.minutes(3)))
struct DiffTests {
    @Test("diff of two sets lists the files added, removed and changed and the account changes")
    func setsAcrossMigration() async throws {
        let agents = [AgentSpec(host: "web-01", pool: "fe-01", backsUpEtc: true)]
        try await TestFleet.withFleet(agents: agents) { fleet in
            let source = fleet.sourceDirectory(of: "web-01")
            let etc = fleet.etcDirectory(of: "web-01")
            try FixtureTree.populate(source, seed: 1)
            try FixtureTree.writeAccounts(etc)
            let before = try await fleet.backup("--pool", "fe-01")
            try FixtureTree.migrate(source: source, etc: etc)
            let after = try await fleet.backup("--pool", "fe-01")

            let result = try await fleet.keepctl(["diff", before.setID, after.setID, "--json"])
            try #require(result.status == 0, "\(result)")
            let diff = try result.json(Keep_V1_DiffResponse.self)
            #expect(diff.files.allSatisfy { $0.hostID == "web-01" })
            func paths(_ change: String) -> Set<String> { Set(diff.files.filter { $0.change == change }.map(\.path)) }
            let absolute = { (relative: [String]) in Set(relative.map { source + "/" + $0 }) }
            #expect(paths("added") == absolute(FixtureTree.Migration.added))
            #expect(paths("removed") == absolute(FixtureTree.Migration.removed))
            #expect(paths("changed") == absolute(FixtureTree.Migration.changed).union([etc + "/passwd"]))
            let details = Dictionary(uniqueKeysWithValues: diff.files.map { ($0.path, $0.details) })
            #expect(details[source + "/etc/app/app.conf"] == ["content"])
            #expect(details[source + "/setuid-tool"] == ["mode 4755 → 755"])
            #expect(details[source + "/config-link"] == ["type symlink → file"])
            #expect(details[source + "/data/deep"] == ["type directory → file"])

            let users = diff.inventory.filter { $0.kind == "users" }
            #expect(users.map(\.name).sorted() == ["alice", "deploy"], "\(diff.inventory)")
            #expect(users.first { $0.name == "deploy" }?.change == "added")
            let alice = try #require(users.first { $0.name == "alice" })
            #expect(alice.change == "changed" && alice.detail.contains("/bin/sh") && alice.detail.contains("/bin/bash"))

            // The same comparison by snapshot ids.
            let snapshots = try await fleet.keepctl(
                ["diff", before.hosts[0].snapshotID, after.hosts[0].snapshotID, "--json"])
            try #require(snapshots.status == 0, "\(snapshots)")
            #expect(try snapshots.json(Keep_V1_DiffResponse.self) == diff)
            let same = try await fleet.keepctl(["diff", after.setID, after.setID])
            #expect(same.status == 0 && same.standardOutput.contains("no differences"), "\(same)")
        }
    }
}
