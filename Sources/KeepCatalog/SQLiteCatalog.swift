import Foundation
import GRDB
import KeepCore

/// The embedded catalog: one SQLite file in WAL mode, through GRDB.
public final class SQLiteCatalog: Catalog {
    private let database: DatabasePool

    /// Opens (and creates and migrates, on first use) the catalog at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            let migrator = CatalogSchema.migrator
            let upToDate = try database.read(migrator.hasCompletedMigrations)
            try migrator.migrate(database)
            if !upToDate {
                // A migration that rebuilds tables (v3) leaves the old ones' pages free inside the file:
                // without this, a migrated catalog would not get any smaller.
                try database.writeWithoutTransaction { db in
                    try db.execute(sql: "VACUUM")
                    try db.checkpoint(.truncate)
                }
            }
        } catch {
            throw KeepError(
                .io, "cannot open the catalog: \(error)", context: path,
                hint: "check that the data directory exists and is writable by the controller")
        }
    }

    // MARK: Hosts

    public func recordHello(_ host: HostRecord) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO host (id, pool, certificateFingerprint, firstSeen, lastSeen, softwareVersion,
                                      protocolVersion, capabilities, remoteAddress)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET pool = excluded.pool,
                        certificateFingerprint = excluded.certificateFingerprint, lastSeen = excluded.lastSeen,
                        softwareVersion = excluded.softwareVersion, protocolVersion = excluded.protocolVersion,
                        capabilities = excluded.capabilities, remoteAddress = excluded.remoteAddress
                    """,
                arguments: [
                    host.id, host.pool, host.certificateFingerprint, host.firstSeen, host.lastSeen,
                    host.softwareVersion, Int64(host.protocolVersion), host.capabilities.joined(separator: ","),
                    host.remoteAddress,
                ])
            try db.execute(sql: "INSERT OR IGNORE INTO pool (name) VALUES (?)", arguments: [host.pool])
        }
    }

    public func touchHost(_ id: String, at time: Int64) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE host SET lastSeen = ? WHERE id = ?", arguments: [time, id])
        }
    }

    public func hosts(pool: String?) async throws -> [HostRecord] {
        try await database.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM host WHERE (?1 IS NULL OR pool = ?1) ORDER BY pool, id", arguments: [pool])
            return rows.map { row in
                let capabilities: String = row["capabilities"]
                return HostRecord(
                    id: row["id"], pool: row["pool"], certificateFingerprint: row["certificateFingerprint"],
                    firstSeen: row["firstSeen"], lastSeen: row["lastSeen"], softwareVersion: row["softwareVersion"],
                    protocolVersion: UInt32(clamping: row["protocolVersion"] as Int64),
                    capabilities: capabilities.isEmpty ? [] : capabilities.split(separator: ",").map(String.init),
                    remoteAddress: row["remoteAddress"])
            }
        }
    }

    // MARK: Jobs

    public func createJob(_ job: JobRecord) async throws {
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO job (id, kind, scope, requestedBy, created, finished, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    job.id.rawValue, job.kind, job.scope, job.requestedBy, job.created, job.finished, job.status.rawValue,
                ])
        }
    }

    public func finishJob(_ id: JobID, status: RecordStatus, at time: Int64) async throws {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE job SET status = ?, finished = ? WHERE id = ?", arguments: [status.rawValue, time, id.rawValue])
        }
        // Between jobs the write-ahead log would keep its size (4.8 MB after a 1 GiB backup) though its
        // pages are in the catalog already: it is copied back and truncated once a job is done. Best
        // effort: a reader that holds the log makes it wait for the next job.
        _ = try? await database.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    public func appendEvent(_ event: JobEventRecord) async throws {
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO jobEvent (jobID, at, hostID, kind, message) VALUES (?, ?, ?, ?, ?)",
                arguments: [event.jobID.rawValue, event.at, event.hostID, event.kind, event.message])
        }
    }

    public func events(of job: JobID) async throws -> [JobEventRecord] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobEvent WHERE jobID = ? ORDER BY id", arguments: [job.rawValue])
                .map { row in
                    JobEventRecord(
                        jobID: JobID(rawValue: row["jobID"]), at: row["at"], hostID: row["hostID"], kind: row["kind"],
                        message: row["message"])
                }
        }
    }

    public func job(_ id: JobID) async throws -> JobRecord? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id.rawValue]).map(Self.job(from:))
        }
    }

    public func jobs(kind: String?, limit: Int) async throws -> [JobRecord] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM job WHERE ?1 IS NULL OR kind = ?1 ORDER BY created DESC, id DESC LIMIT ?2",
                arguments: [kind, limit]
            ).map(Self.job(from:))
        }
    }

    public func markRunningAsInterrupted(at time: Int64) async throws -> [JobID] {
        try await database.write { db in
            let jobs = try String.fetchAll(db, sql: "SELECT id FROM job WHERE status = 'running'").map(JobID.init(rawValue:))
            for table in ["job", "backupSet"] {
                try db.execute(
                    sql: "UPDATE \(table) SET status = 'interrupted', finished = ? WHERE status = 'running'", arguments: [time])
            }
            try db.execute(
                sql: """
                    UPDATE snapshot SET status = 'interrupted', finished = ?,
                        error = 'the controller stopped during this backup' WHERE status = 'running'
                    """,
                arguments: [time])
            return jobs
        }
    }

    // MARK: Sets and snapshots

    public func createSet(_ set: BackupSetRecord) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO backupSet (id, label, scope, jobID, created, finished, status, requestedBy)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    set.id.rawValue, set.label, set.scope, set.jobID.rawValue, set.created, set.finished,
                    set.status.rawValue, set.requestedBy,
                ])
        }
    }

    public func finishSet(_ id: BackupSetID, status: RecordStatus, at time: Int64) async throws {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE backupSet SET status = ?, finished = ? WHERE id = ?",
                arguments: [status.rawValue, time, id.rawValue])
        }
    }

    public func sets(pool: String?) async throws -> [BackupSetRecord] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM backupSet WHERE ?1 IS NULL OR scope = 'pool:' || ?1
                        OR id IN (SELECT setID FROM snapshot WHERE pool = ?1)
                    ORDER BY created DESC, id DESC
                    """,
                arguments: [pool]
            ).map(Self.set(from:))
        }
    }

    public func set(_ id: BackupSetID) async throws -> BackupSetRecord? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM backupSet WHERE id = ?", arguments: [id.rawValue]).map(Self.set(from:))
        }
    }

    public func createSnapshot(_ snapshot: SnapshotRecord) async throws {
        let stats = try Self.encode(snapshot.stats)
        let pathErrors = try Self.encode(snapshot.pathErrors)
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO snapshot (id, setID, hostID, pool, status, rootTree, started, finished, stats, error, pathErrors)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    snapshot.id.rawValue, snapshot.setID.rawValue, snapshot.hostID, snapshot.pool,
                    snapshot.status.rawValue, snapshot.rootTree.map { Data($0.bytes) }, snapshot.started,
                    snapshot.finished, stats, snapshot.error, pathErrors,
                ])
        }
    }

    public func completeSnapshot(
        _ id: SnapshotID, rootTree: ChunkID, stats: SnapshotStats, pathErrors: [PathErrorRecord],
        inventory: [(kind: String, json: [UInt8])], at time: Int64
    ) async throws {
        let encodedStats = try Self.encode(stats)
        let encodedErrors = try Self.encode(pathErrors)
        let documents = inventory.map { (kind: $0.kind, json: Data($0.json)) }
        try await database.write { db in
            for document in documents {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO inventory (snapshotID, kind, json) VALUES (?, ?, ?)",
                    arguments: [id.rawValue, document.kind, document.json])
            }
            try db.execute(
                sql: """
                    UPDATE snapshot SET status = 'complete', rootTree = ?, finished = ?, stats = ?, pathErrors = ?
                    WHERE id = ? AND status = 'running'
                    """,
                arguments: [Data(rootTree.bytes), time, encodedStats, encodedErrors, id.rawValue])
            guard db.changesCount == 1 else {
                throw KeepError(
                    .conflict, "snapshot \(id) is no longer running and cannot be completed",
                    hint: "start a new backup of this host")
            }
        }
    }

    public func failSnapshot(_ id: SnapshotID, error: String, at time: Int64) async throws {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE snapshot SET status = 'failed', error = ?, finished = ? WHERE id = ? AND status = 'running'",
                arguments: [error, time, id.rawValue])
        }
    }

    public func snapshots(host: String?, pool: String?, set: BackupSetID?) async throws -> [SnapshotRecord] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM snapshot WHERE (?1 IS NULL OR hostID = ?1) AND (?2 IS NULL OR pool = ?2)
                        AND (?3 IS NULL OR setID = ?3)
                    ORDER BY started DESC, id DESC
                    """,
                arguments: [host, pool, set?.rawValue]
            ).map(Self.snapshot(from:))
        }
    }

    public func snapshot(_ id: SnapshotID) async throws -> SnapshotRecord? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM snapshot WHERE id = ?", arguments: [id.rawValue])
                .map(Self.snapshot(from:))
        }
    }

    public func latestCompleteSnapshot(host: String) async throws -> SnapshotRecord? {
        try await database.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM snapshot WHERE hostID = ? AND status = 'complete' ORDER BY finished DESC, id DESC LIMIT 1",
                arguments: [host]
            ).map(Self.snapshot(from:))
        }
    }

    // MARK: Rollback progress

    public func setRollbackState(job: JobID, host: String, snapshot: SnapshotID, state: String, at time: Int64) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO rollbackHost (jobID, hostID, snapshotID, state, updated) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(jobID, hostID) DO UPDATE SET state = excluded.state, updated = excluded.updated
                    """,
                arguments: [job.rawValue, host, snapshot.rawValue, state, time])
        }
    }

    public func rollbackStates(job: JobID) async throws -> [(host: String, snapshot: SnapshotID, state: String)] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM rollbackHost WHERE jobID = ? ORDER BY hostID", arguments: [job.rawValue])
                .map { row in (host: row["hostID"], snapshot: SnapshotID(rawValue: row["snapshotID"]), state: row["state"]) }
        }
    }

    // MARK: Inventory

    public func inventories(kind: String, host: String?, pool: String?, set: BackupSetID?, snapshot: SnapshotID?)
        async throws -> [InventoryRecord]
    {
        try await database.read { db in
            let newestPerHost = set == nil && snapshot == nil
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id AS snapshotID, s.hostID, s.pool, s.finished, i.json FROM inventory i
                    JOIN snapshot s ON s.id = i.snapshotID
                    WHERE i.kind = ?1 AND s.status = 'complete' AND (?2 IS NULL OR s.hostID = ?2)
                        AND (?3 IS NULL OR s.pool = ?3) AND (?4 IS NULL OR s.setID = ?4) AND (?5 IS NULL OR s.id = ?5)
                        AND (?6 = 0 OR s.id = (SELECT s2.id FROM snapshot s2 JOIN inventory i2 ON i2.snapshotID = s2.id
                            WHERE s2.hostID = s.hostID AND s2.status = 'complete' AND i2.kind = ?1
                            ORDER BY s2.finished DESC, s2.id DESC LIMIT 1))
                    ORDER BY s.pool, s.hostID, s.finished
                    """,
                arguments: [kind, host, pool, set?.rawValue, snapshot?.rawValue, newestPerHost])
            return rows.map { row in
                let json: Data = row["json"]
                return InventoryRecord(
                    snapshotID: SnapshotID(rawValue: row["snapshotID"]), hostID: row["hostID"], pool: row["pool"],
                    kind: kind, taken: row["finished"] ?? 0, json: Array(json))
            }
        }
    }

    // MARK: Chunk index

    /// The chunk columns joined with their pack's id, as `location(from:)` reads them: rows of `chunk`
    /// refer to their pack by its integer `number` (schema v3).
    private static let locationColumns = """
        SELECT c.id, p.id AS packID, c.offset, c.length, c.plaintextLength, c.type, c.compressed
        FROM chunk c JOIN pack p ON p.number = c.pack
        """

    public func recordPack(_ packID: String, size: UInt64, objects: [ChunkLocation], at time: Int64) async throws {
        try await database.write { db in
            try Self.insertPack(packID, size: size, objects: objects, at: time, replacing: false, db)
        }
    }

    public func addPoolReferences(pool: String, ids: [ChunkID]) async throws {
        guard !ids.isEmpty else { return }
        try await database.write { db in
            // An object may reach a pool before any host of it said Hello (or with no host at all).
            try db.execute(sql: "INSERT OR IGNORE INTO pool (name) VALUES (?)", arguments: [pool])
            guard let number = try Self.poolNumber(pool, db) else {
                throw KeepError(
                    .internalError, "pool \(pool) is missing from the catalog right after it was added",
                    hint: "check the catalog with sqlite3 'PRAGMA integrity_check' and report this")
            }
            let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO poolChunk (pool, chunkID) VALUES (?, ?)")
            for id in ids {
                try statement.execute(arguments: [number, Data(id.bytes)])
            }
        }
    }

    public func existing(_ ids: [ChunkID], inPool pool: String) async throws -> Set<ChunkID> {
        try await database.read { db in
            guard let number = try Self.poolNumber(pool, db) else { return [] }
            let statement = try db.cachedStatement(
                sql: """
                    SELECT 1 FROM poolChunk p JOIN chunk c ON c.id = p.chunkID WHERE p.pool = ? AND p.chunkID = ?
                    """)
            var found = Set<ChunkID>()
            for id in ids where try Bool.fetchOne(statement, arguments: [number, Data(id.bytes)]) != nil {
                found.insert(id)
            }
            return found
        }
    }

    public func location(of id: ChunkID) async throws -> ChunkLocation? {
        try await database.read { db in
            let statement = try db.cachedStatement(sql: "\(Self.locationColumns) WHERE c.id = ?")
            return try Row.fetchOne(statement, arguments: [Data(id.bytes)]).flatMap(Self.location(from:))
        }
    }

    public func locations(of ids: [ChunkID]) async throws -> [ChunkID: ChunkLocation] {
        guard !ids.isEmpty else { return [:] }
        return try await database.read { db in
            let statement = try db.cachedStatement(sql: "\(Self.locationColumns) WHERE c.id = ?")
            var found: [ChunkID: ChunkLocation] = [:]
            for id in ids {
                let row = try Row.fetchOne(statement, arguments: [Data(id.bytes)])
                if let location = row.flatMap(Self.location(from:)) { found[id] = location }
            }
            return found
        }
    }

    public func allLocations() async throws -> [ChunkLocation] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "\(Self.locationColumns) ORDER BY p.id, c.offset")
                .compactMap(Self.location(from:))
        }
    }

    public func packs() async throws -> [(id: String, size: UInt64)] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, size FROM pack ORDER BY id").map { row in
                (id: row["id"], size: UInt64(clamping: row["size"] as Int64))
            }
        }
    }

    /// The integer key of a pool, which `poolChunk` rows refer to; nil for a pool never seen.
    private static func poolNumber(_ pool: String, _ db: Database) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT number FROM pool WHERE name = ?"), arguments: [pool])
    }

    /// Inserts a pack and the locations of its objects, which refer to it by its new integer key. With
    /// `replacing`, objects already indexed are pointed at this pack (a repack); otherwise the first
    /// location recorded for an object stays.
    private static func insertPack(
        _ packID: String, size: UInt64, objects: [ChunkLocation], at time: Int64, replacing: Bool, _ db: Database
    ) throws {
        try db.execute(
            sql: "INSERT INTO pack (id, size, objects, created) VALUES (?, ?, ?, ?)",
            arguments: [packID, Int64(size), objects.count, time])
        let number = db.lastInsertedRowID
        let statement = try db.cachedStatement(
            sql: """
                INSERT OR \(replacing ? "REPLACE" : "IGNORE") INTO chunk
                    (id, pack, offset, length, plaintextLength, type, compressed)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        for object in objects {
            try statement.execute(arguments: [
                Data(object.id.bytes), number, Int64(object.offset), Int64(object.length),
                Int64(object.plaintextLength), Int64(object.type), object.compressed,
            ])
        }
    }

    // MARK: Retention

    public func forgetSet(_ id: BackupSetID) async throws {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM inventory WHERE snapshotID IN (SELECT id FROM snapshot WHERE setID = ?)",
                arguments: [id.rawValue])
            try db.execute(
                sql: "DELETE FROM rollbackHost WHERE snapshotID IN (SELECT id FROM snapshot WHERE setID = ?)",
                arguments: [id.rawValue])
            try db.execute(sql: "DELETE FROM snapshot WHERE setID = ?", arguments: [id.rawValue])
            try db.execute(sql: "DELETE FROM backupSet WHERE id = ?", arguments: [id.rawValue])
        }
    }

    public func replacePack(
        _ oldPack: String, with newPack: (id: String, size: UInt64, objects: [ChunkLocation])?, at time: Int64
    ) async throws {
        try await database.write { db in
            if let newPack {
                try Self.insertPack(
                    newPack.id, size: newPack.size, objects: newPack.objects, at: time, replacing: true, db)
            }
            guard let old = try Int64.fetchOne(db, sql: "SELECT number FROM pack WHERE id = ?", arguments: [oldPack])
            else { return }
            try db.execute(
                sql: "DELETE FROM poolChunk WHERE chunkID IN (SELECT id FROM chunk WHERE pack = ?)", arguments: [old])
            try db.execute(sql: "DELETE FROM chunk WHERE pack = ?", arguments: [old])
            try db.execute(sql: "DELETE FROM pack WHERE number = ?", arguments: [old])
        }
    }
}
