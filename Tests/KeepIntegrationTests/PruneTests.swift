import Foundation
import KeepProtocol
import KeepTestSupport
import Testing

/// Retention: forgetting old sets frees only what no remaining snapshot uses.
@Suite("Prune", .timeLimit(.minutes(3)))
struct PruneTests {
    @Test("keep-last 1 forgets older sets, frees their unique data, and leaves the kept set intact")
    func keepLast() async throws {
        try await TestFleet.withFleet(agents: [AgentSpec(host: "app-01", pool: "apps")]) { fleet in
            let source = fleet.sourceDirectory(of: "app-01")
            try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            try FixtureTree.writeRandom(source + "/kept.bin", count: 3 << 20, seed: 1)
            try FixtureTree.writeRandom(source + "/old.bin", count: 6 << 20, seed: 2)
            let first = try await fleet.backup("--pool", "apps")
            try FileManager.default.removeItem(atPath: source + "/old.bin")
            let second = try await fleet.backup("--pool", "apps")
            let before = try Self.storeSize(fleet.dataDirectory)

            let dryRun = try await fleet.keepctl(["prune", "--keep-last", "1", "--dry-run", "--json"])
            #expect(dryRun.status == 0, "\(dryRun)")
            let planned = try dryRun.json(Keep_V1_PruneResponse.self)
            #expect(planned.setsForgotten == [first.setID])
            #expect(try Self.storeSize(fleet.dataDirectory) == before, "a dry run changes nothing")

            let result = try await fleet.keepctl(["prune", "--keep-last", "1", "--json"])
            #expect(result.status == 0, "\(result)")
            let pruned = try result.json(Keep_V1_PruneResponse.self)
            #expect(pruned.setsForgotten == [first.setID])
            #expect(pruned.bytesFreed >= 5 << 20, "old.bin's 6 MiB of random data is freed: \(pruned)")
            #expect(try Self.storeSize(fleet.dataDirectory) <= before - (5 << 20))

            let sets = try await fleet.keepctl(["sets", "--json"]).json(Keep_V1_ListSetsResponse.self)
            #expect(sets.sets.map(\.setID) == [second.setID])
            let verify = try await fleet.keepctl(["verify", "--read-data"])
            #expect(verify.status == 0, "the kept set is intact: \(verify)")
            let restore = try await fleet.keepctl([
                "restore", "--host", "app-01", "--set", second.setID, "--to", fleet.root + "/restored",
            ])
            #expect(restore.status == 0, "\(restore)")
            let restored = FileManager.default.contents(atPath: fleet.root + "/restored" + source + "/kept.bin")
            #expect(restored == FileManager.default.contents(atPath: source + "/kept.bin"))
        }
    }

    /// Bytes of all pack files.
    static func storeSize(_ data: String) throws -> UInt64 {
        var total: UInt64 = 0
        let packs = data + "/packs"
        for shard in try FileManager.default.contentsOfDirectory(atPath: packs) {
            for pack in try FileManager.default.contentsOfDirectory(atPath: packs + "/" + shard) {
                let attributes = try FileManager.default.attributesOfItem(atPath: packs + "/" + shard + "/" + pack)
                total += (attributes[.size] as? UInt64) ?? 0
            }
        }
        return total
    }
}
