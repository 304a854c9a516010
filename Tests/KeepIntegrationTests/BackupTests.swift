import Foundation
import KeepCore
import KeepProtocol
import KeepTestSupport
import Testing

/// Fleet backup end to end: real controller and agents, real trees, the catalog and the store.
@Suite("Fleet backup", .timeLimit(.minutes(3)))
struct BackupTests {
    static let fleet = [
        AgentSpec(host: "web-01", pool: "fe-01"), AgentSpec(host: "web-02", pool: "fe-01"),
        AgentSpec(host: "db-01", pool: "be-01"),
    ]
    static let largeFile = 20 * 1_048_576

    @Test("two pools: one set per pool, exact trees, cross-host dedup, incremental backups")
    func fleetBackup() async throws {
        try await TestFleet.withFleet(agents: Self.fleet) { fleet in
            try FixtureTree.populate(fleet.sourceDirectory(of: "web-01"), seed: 1, largeFileSize: Self.largeFile)
            try FixtureTree.populate(fleet.sourceDirectory(of: "web-02"), seed: 2, largeFileSize: Self.largeFile)
            try FixtureTree.populate(fleet.sourceDirectory(of: "db-01"), seed: 3)

            // First backup of pool fe-01: both hosts, one set.
            let first = try await fleet.backup("--pool", "fe-01", "--label", "before-upgrade")
            #expect(first.hosts.map(\.hostID) == ["web-01", "web-02"])
            #expect(first.hosts.allSatisfy { $0.status == .ok }, "\(first.hosts.map(\.errorText))")
            _ = try await fleet.backup("--pool", "be-01")

            // The catalog: the fe-01 set holds the pool's two snapshots, complete.
            let set = try #require(try await fleet.sets().first { $0.setID == first.setID })
            #expect(set.pool == "fe-01")
            #expect(set.label == "before-upgrade")
            #expect(set.status == "complete")
            #expect(set.hosts == 2 && set.snapshotsOk == 2 && set.snapshotsFailed == 0)
            let snapshots = try await fleet.snapshots("--set", first.setID)
            #expect(Set(snapshots.map(\.hostID)) == ["web-01", "web-02"])
            #expect(snapshots.allSatisfy { $0.status == "complete" && $0.pool == "fe-01" })

            // `keepctl ls` shows exactly the tree, directory by directory.
            let web01 = try #require(first.hosts.first { $0.hostID == "web-01" })
            try await expectTree(of: web01.snapshotID, matches: fleet.sourceDirectory(of: "web-01"), fleet: fleet)

            // The 20 MiB file both fe-01 hosts hold is stored once: new bytes and packs hold one copy.
            let newBytes = first.hosts.reduce(0) { $0 + $1.bytesNewStored }
            #expect(newBytes < UInt64(Self.largeFile) * 13 / 10, "bytes_new_stored \(newBytes)")
            #expect(newBytes > UInt64(Self.largeFile))
            let packs = try fleet.packBytes()
            #expect(packs < UInt64(Self.largeFile) * 13 / 10, "pack bytes \(packs)")

            // Unchanged: nothing is read, (almost) nothing sent, nothing new stored.
            let second = try await fleet.backup("--pool", "fe-01")
            for host in second.hosts {
                #expect(host.status == .ok, "\(host.errorText)")
                #expect(host.bytesRead == 0, "\(host.hostID) read \(host.bytesRead) bytes of unchanged files")
                #expect(host.bytesSent < 64 * 1024, "\(host.hostID) sent \(host.bytesSent) bytes")
                #expect(host.bytesNewStored < 64 * 1024)
            }

            // 100 bytes changed in the middle of the large file: it is read again, only its new chunks go.
            let handle = try #require(FileHandle(forUpdatingAtPath: fleet.sourceDirectory(of: "web-01") + "/shared/large.bin"))
            try handle.seek(toOffset: UInt64(Self.largeFile / 2))
            try handle.write(contentsOf: Data(repeating: 0x5a, count: 100))
            try handle.close()
            let third = try await fleet.backup("--host", "web-01")
            let changed = try #require(third.hosts.first)
            #expect(changed.status == .ok, "\(changed.errorText)")
            #expect(changed.bytesRead >= UInt64(Self.largeFile), "the changed file was not read again")
            #expect(changed.bytesSent > 0)
            #expect(changed.bytesSent < UInt64(Self.largeFile) / 4, "sent \(changed.bytesSent) bytes for a 100-byte change")
            #expect(changed.bytesNewStored < UInt64(Self.largeFile) / 4)
        }
    }

    /// Compares `keepctl ls --json` of every directory below `directory` with `lstat`.
    private func expectTree(of snapshot: String, matches directory: String, fleet: TestFleet) async throws {
        var pending = [directory]
        var directories = 0
        while let current = pending.popLast() {
            directories += 1
            let result = try await fleet.keepctl(["ls", snapshot, current, "--json"])
            try #require(result.status == 0, "\(result)")
            var listed: [String: FixtureTree.Entry] = [:]
            for entry in try result.json(Keep_V1_ListTreeResponse.self).entries {
                listed[entry.name] = FixtureTree.Entry(
                    kind: Self.kind(of: entry.type), mode: entry.mode, size: entry.type == .file ? entry.size : 0,
                    linkTarget: entry.linkTarget)
            }
            let expected = try FixtureTree.listing(current)
            #expect(listed == expected, "ls \(current)")
            for (name, entry) in expected where entry.kind == .directory { pending.append(current + "/" + name) }
        }
        #expect(directories == 8)
    }

    private static func kind(of type: Keep_V1_EntryType) -> FixtureTree.Entry.Kind {
        switch type {
        case .file: .file
        case .directory: .directory
        case .symlink: .symlink
        case .fifo: .fifo
        default: .other
        }
    }
}
