import Foundation
import GRDB
import KeepCore
import Testing

@testable import KeepCatalog

/// What only the SQLite backend has: its schema migrations and the size of its file.
@Suite struct SQLiteCatalogTests {
    static func temporaryPath() throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("keep-catalog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("catalog.sqlite").path
    }

    static func chunk(_ seed: UInt8) -> ChunkID {
        ChunkID(bytes: [UInt8](repeating: seed, count: 32))!
    }

    /// A catalog written by a controller at schema v2 (pack ids and pool names as text in every chunk
    /// row) opens with every location, pool membership and pack intact, and keeps working.
    @Test func catalogAtSchemaV2MigratesWithoutLoss() async throws {
        let path = try Self.temporaryPath()
        let packA = String(repeating: "a1", count: 32)
        let packB = String(repeating: "b2", count: 32)
        let rows: [(UInt8, String, UInt64, UInt32, UInt32, UInt8, Bool)] = [
            (1, packA, 8, 100, 300, 0, true), (2, packA, 108, 50, 50, 1, false),
            (3, packB, 8, 4_000_000, 4_194_304, 0, true), (4, packB, 4_000_008, 70, 90, 1, true),
            (5, packB, 4_000_078, 10, 10, 0, false),
        ]
        let locations = rows.map { seed, pack, offset, length, plaintextLength, type, compressed in
            ChunkLocation(
                id: Self.chunk(seed), packID: pack, offset: offset, length: length, plaintextLength: plaintextLength,
                type: type, compressed: compressed)
        }
        // fe-01 said Hello; be-01 never did (its objects came in through addPoolReferences only).
        let references = [
            (pool: "fe-01", ids: [Self.chunk(1), Self.chunk(2), Self.chunk(3)]),
            (pool: "be-01", ids: [Self.chunk(3), Self.chunk(4)]),
        ]
        let old = try DatabaseQueue(path: path)
        try CatalogSchema.migrator.migrate(old, upTo: "v2-rollback")
        try await old.write { db in
            try db.execute(sql: "INSERT INTO pool (name) VALUES ('fe-01')")
            for (id, size, created) in [(packA, 158, 10), (packB, 4_000_088, 20)] {
                try db.execute(
                    sql: "INSERT INTO pack (id, size, objects, created) VALUES (?, ?, ?, ?)",
                    arguments: [id, size, id == packA ? 2 : 3, created])
            }
            for location in locations {
                try db.execute(
                    sql: """
                        INSERT INTO chunk (id, packID, offset, length, plaintextLength, type, compressed)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        Data(location.id.bytes), location.packID, location.offset, location.length,
                        location.plaintextLength, location.type, location.compressed,
                    ])
            }
            for (pool, ids) in references {
                for id in ids {
                    try db.execute(
                        sql: "INSERT INTO poolChunk (pool, chunkID) VALUES (?, ?)", arguments: [pool, Data(id.bytes)])
                }
            }
        }
        try old.close()

        let catalog = try SQLiteCatalog(path: path)
        #expect(try await catalog.allLocations() == locations)
        for location in locations {
            #expect(try await catalog.location(of: location.id) == location)
        }
        let asked = locations.map(\.id) + [Self.chunk(9)]
        let byID = Dictionary(uniqueKeysWithValues: locations.map { ($0.id, $0) })
        #expect(try await catalog.locations(of: asked) == byID)
        #expect(try await catalog.existing(asked, inPool: "fe-01") == [Self.chunk(1), Self.chunk(2), Self.chunk(3)])
        #expect(try await catalog.existing(asked, inPool: "be-01") == [Self.chunk(3), Self.chunk(4)])
        #expect(try await catalog.existing(asked, inPool: "db-01").isEmpty)
        let packs = try await catalog.packs()
        #expect(packs.map(\.id) == [packA, packB] && packs.map(\.size) == [158, 4_000_088])

        // The migrated catalog keeps working: a pool gains an object, a pack is forgotten.
        try await catalog.addPoolReferences(pool: "be-01", ids: [Self.chunk(5)])
        #expect(try await catalog.existing(asked, inPool: "be-01") == [Self.chunk(3), Self.chunk(4), Self.chunk(5)])
        try await catalog.replacePack(packA, with: nil, at: 30)
        #expect(try await catalog.existing(asked, inPool: "fe-01") == [Self.chunk(3)])
        #expect(try await catalog.allLocations() == Array(locations[2...]))

        let check = try DatabaseQueue(path: path)
        let (violations, integrity, freePages) = try await check.read { db in
            (
                try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count,
                try String.fetchOne(db, sql: "PRAGMA integrity_check"),
                try Int.fetchOne(db, sql: "PRAGMA freelist_count")
            )
        }
        try check.close()
        #expect(violations == 0 && integrity == "ok")
        // The old tables' pages went back to the file system, not to a free list inside the file.
        #expect(freePages == 0)
    }

    /// The chunk index is most of the catalog, and the catalog counts in the store's size. 20,000 objects
    /// of 32–96 KiB in 40 packs of one pool, measured: schema v2 took 188 bytes a chunk (136 in `chunk`,
    /// whose rows repeated the pack's 64-character id, 48 in `poolChunk`), v3 takes 107 (60 and 42; the
    /// rest is the other tables' first pages).
    @Test func chunkIndexStaysCompact() async throws {
        let path = try Self.temporaryPath()
        let catalog = try SQLiteCatalog(path: path)
        var random = SplitMix64(seed: 42)
        let packCount = 40
        let perPack = 500
        for pack in 0..<packCount {
            let packID = random.chunkID().hex
            var offset: UInt64 = 8
            let objects = (0..<perPack).map { _ in
                let length = UInt32(32_768 + random.next() % 65_536)
                defer { offset += UInt64(length) }
                return ChunkLocation(
                    id: random.chunkID(), packID: packID, offset: offset, length: length, plaintextLength: length * 2,
                    type: 0, compressed: true)
            }
            try await catalog.recordPack(packID, size: offset, objects: objects, at: 1_700_000_000 + Int64(pack))
            try await catalog.addPoolReferences(pool: "fe-01", ids: objects.map(\.id))
        }
        let perChunk = try Self.fileSize(afterCheckpointOf: path) / (packCount * perPack)
        #expect(perChunk < 120, "the catalog takes \(perChunk) bytes per chunk")
    }

    @Test("a finished job leaves no write-ahead log behind: the catalog on disk is only what it holds")
    func finishedJobTruncatesTheLog() async throws {
        let path = try Self.temporaryPath()
        let catalog = try SQLiteCatalog(path: path)
        var random = SplitMix64(seed: 7)
        let job = JobID(rawValue: "job-1")
        try await catalog.createJob(
            JobRecord(id: job, kind: "backup", scope: "pool:fe-01", requestedBy: "operator:alice", created: 1,
                      status: .running))
        let packID = random.chunkID().hex
        let objects = (0..<5_000).map { index in
            ChunkLocation(
                id: random.chunkID(), packID: packID, offset: UInt64(index) * 100, length: 100, plaintextLength: 100,
                type: 0, compressed: false)
        }
        try await catalog.recordPack(packID, size: 500_000, objects: objects, at: 1)
        try await catalog.addPoolReferences(pool: "fe-01", ids: objects.map(\.id))
        let logBefore = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(logBefore > 100_000)

        try await catalog.finishJob(job, status: .complete, at: 2)

        let logAfter = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(logAfter == 0)
        #expect(try await catalog.locations(of: [objects[4_321].id])[objects[4_321].id] == objects[4_321])
    }

    /// The catalog's size on disk once its write-ahead log is folded into the database file.
    static func fileSize(afterCheckpointOf path: String) throws -> Int {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        try queue.close()
        return try [path, path + "-wal"].reduce(0) { total, file in
            guard FileManager.default.fileExists(atPath: file) else { return total }
            return total + (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0)
        }
    }
}

/// Reproducible pseudo-random ids and lengths (SplitMix64).
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chunkID() -> ChunkID {
        let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: next()) { Array($0) } }
        return ChunkID(bytes: bytes)!
    }
}
