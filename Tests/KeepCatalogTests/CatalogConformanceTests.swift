import Foundation
import KeepCatalog
import KeepCore
import Testing

/// The suite every catalog backend passes. Each test gets a fresh catalog.
@Suite struct CatalogConformanceTests {
    /// Backends under test; PostgreSQL joins here when it lands.
    static func makeCatalogs() throws -> [(name: String, catalog: any Catalog)] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keep-catalog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return [("sqlite", try SQLiteCatalog(path: directory.appendingPathComponent("catalog.sqlite").path))]
    }

    static func chunk(_ seed: UInt8) -> ChunkID {
        ChunkID(bytes: [UInt8](repeating: seed, count: 32))!
    }

    static func host(_ id: String, pool: String, at time: Int64) -> HostRecord {
        HostRecord(
            id: id, pool: pool, certificateFingerprint: "ab", firstSeen: time, lastSeen: time, softwareVersion: "0.1.0",
            protocolVersion: 1, capabilities: ["backup", "inventory"], remoteAddress: "127.0.0.1:5000")
    }

    @Test func helloKeepsFirstSeenAndUpdatesTheRest() async throws {
        for (name, catalog) in try Self.makeCatalogs() {
            try await catalog.recordHello(Self.host("web-01", pool: "fe-01", at: 100))
            var later = Self.host("web-01", pool: "fe-01", at: 200)
            later.softwareVersion = "0.2.0"
            try await catalog.recordHello(later)
            try await catalog.recordHello(Self.host("db-01", pool: "be-01", at: 150))
            let all = try await catalog.hosts(pool: nil)
            #expect(all.map(\.id) == ["db-01", "web-01"], "\(name)")
            let web = try #require(try await catalog.hosts(pool: "fe-01").first)
            #expect(web.firstSeen == 100 && web.lastSeen == 200 && web.softwareVersion == "0.2.0", "\(name)")
            #expect(web.capabilities == ["backup", "inventory"], "\(name)")
        }
    }

    @Test func snapshotLifecycleAndInterruption() async throws {
        for (name, catalog) in try Self.makeCatalogs() {
            let job = JobID(rawValue: "job-1")
            let set = BackupSetID(rawValue: "set-1")
            try await catalog.createJob(JobRecord(id: job, kind: "backup", scope: "pool:fe-01", requestedBy: "operator:alice", created: 1, status: .running))
            try await catalog.createSet(BackupSetRecord(id: set, label: "before upgrade", scope: "pool:fe-01", jobID: job, created: 1, status: .running, requestedBy: "operator:alice"))
            let done = SnapshotID(rawValue: "snap-1")
            let cut = SnapshotID(rawValue: "snap-2")
            try await catalog.createSnapshot(SnapshotRecord(id: done, setID: set, hostID: "web-01", pool: "fe-01", status: .running, started: 2))
            try await catalog.createSnapshot(SnapshotRecord(id: cut, setID: set, hostID: "web-02", pool: "fe-01", status: .running, started: 2))
            var stats = SnapshotStats()
            stats.files = 3
            try await catalog.completeSnapshot(
                done, rootTree: Self.chunk(1), stats: stats, pathErrors: [PathErrorRecord(path: "/x", message: "denied")],
                inventory: [(kind: "users", json: Array(#"{"accounts":[]}"#.utf8))], at: 5)

            let interrupted = try await catalog.markRunningAsInterrupted(at: 9)
            #expect(interrupted == [job], "\(name)")
            let snapshots = try await catalog.snapshots(host: nil, pool: "fe-01", set: set)
            #expect(Set(snapshots.map(\.status)) == [.complete, .interrupted], "\(name)")
            let complete = try #require(try await catalog.snapshot(done))
            #expect(complete.rootTree == Self.chunk(1) && complete.stats.files == 3 && complete.pathErrors.count == 1, "\(name)")
            #expect(try await catalog.latestCompleteSnapshot(host: "web-02") == nil, "\(name)")
            // An interrupted snapshot can never be completed afterwards.
            await #expect(throws: KeepError.self) {
                try await catalog.completeSnapshot(cut, rootTree: Self.chunk(2), stats: stats, pathErrors: [], inventory: [], at: 10)
            }
            #expect(try await catalog.set(set)?.status == .interrupted, "\(name)")
            let users = try await catalog.inventories(kind: "users", host: nil, pool: "fe-01", set: nil, snapshot: nil)
            #expect(users.map(\.hostID) == ["web-01"], "\(name)")
        }
    }

    @Test func existenceAnswersStayWithinThePool() async throws {
        for (name, catalog) in try Self.makeCatalogs() {
            let a = Self.chunk(0xa)
            let b = Self.chunk(0xb)
            try await catalog.recordPack(
                "pack-1", size: 100,
                objects: [a, b].enumerated().map { index, id in
                    ChunkLocation(id: id, packID: "pack-1", offset: UInt64(index * 50), length: 50, plaintextLength: 70, type: 0, compressed: true)
                }, at: 1)
            try await catalog.addPoolReferences(pool: "fe-01", ids: [a])
            #expect(try await catalog.existing([a, b], inPool: "fe-01") == [a], "\(name)")
            #expect(try await catalog.existing([a, b], inPool: "be-01").isEmpty, "\(name)")
            #expect(try await catalog.location(of: b)?.offset == 50, "\(name)")
            #expect(try await catalog.allLocations().count == 2, "\(name)")
            #expect(try await catalog.packs().map(\.id) == ["pack-1"], "\(name)")
        }
    }
}
