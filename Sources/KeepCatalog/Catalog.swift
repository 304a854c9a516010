import KeepCore

/// The controller's catalog: hosts, backup sets, snapshots, inventories, the chunk index, packs, jobs
/// and their audit log.
///
/// Every backend (SQLite now, PostgreSQL later) passes the same conformance suite
/// (`Tests/KeepCatalogTests`). Methods that change several rows do so in one transaction.
public protocol Catalog: Sendable {
    // MARK: Hosts
    /// Records an agent's `Hello`: creates the host on first contact, keeps `firstSeen` afterwards.
    func recordHello(_ host: HostRecord) async throws
    func touchHost(_ id: String, at time: Int64) async throws
    /// Hosts sorted by pool then id; `pool == nil` for all.
    func hosts(pool: String?) async throws -> [HostRecord]

    // MARK: Jobs and audit log
    func createJob(_ job: JobRecord) async throws
    func finishJob(_ id: JobID, status: RecordStatus, at time: Int64) async throws
    func appendEvent(_ event: JobEventRecord) async throws
    func events(of job: JobID) async throws -> [JobEventRecord]
    func job(_ id: JobID) async throws -> JobRecord?
    /// Jobs, newest first, optionally of one kind.
    func jobs(kind: String?, limit: Int) async throws -> [JobRecord]
    /// Called at start-up: every job, set and snapshot still `running` was cut short by a stop of the
    /// controller; they become `interrupted`, so nothing half-written is ever listed as complete.
    /// Returns the ids of the jobs so marked.
    func markRunningAsInterrupted(at time: Int64) async throws -> [JobID]

    // MARK: Backup sets and snapshots
    func createSet(_ set: BackupSetRecord) async throws
    func finishSet(_ id: BackupSetID, status: RecordStatus, at time: Int64) async throws
    /// Sets, newest first; with a pool, the sets holding a snapshot of that pool.
    func sets(pool: String?) async throws -> [BackupSetRecord]
    func set(_ id: BackupSetID) async throws -> BackupSetRecord?
    func createSnapshot(_ snapshot: SnapshotRecord) async throws
    /// Marks a running snapshot complete with its root tree, stats and inventory, in one transaction.
    func completeSnapshot(
        _ id: SnapshotID, rootTree: ChunkID, stats: SnapshotStats, pathErrors: [PathErrorRecord],
        inventory: [(kind: String, json: [UInt8])], at time: Int64
    ) async throws
    func failSnapshot(_ id: SnapshotID, error: String, at time: Int64) async throws
    /// Snapshots, newest first, filtered by any combination of host, pool and set.
    func snapshots(host: String?, pool: String?, set: BackupSetID?) async throws -> [SnapshotRecord]
    func snapshot(_ id: SnapshotID) async throws -> SnapshotRecord?
    /// The newest complete snapshot of a host: the parent of its next backup.
    func latestCompleteSnapshot(host: String) async throws -> SnapshotRecord?

    // MARK: Rollback progress
    /// Records how far one host of a rollback job got (`planned`, `prepared`, `committed`, `aborted`,
    /// `failed`), so an interrupted rollback can be resumed or reported exactly.
    func setRollbackState(job: JobID, host: String, snapshot: SnapshotID, state: String, at time: Int64) async throws
    /// The hosts of a rollback job with their snapshot and state, sorted by host.
    func rollbackStates(job: JobID) async throws -> [(host: String, snapshot: SnapshotID, state: String)]

    // MARK: Inventory
    /// Inventory documents of one kind of complete snapshots: of one snapshot, of one set, or else the
    /// newest per host; filtered by host and pool.
    func inventories(kind: String, host: String?, pool: String?, set: BackupSetID?, snapshot: SnapshotID?) async throws
        -> [InventoryRecord]

    // MARK: Chunk index and packs
    /// Records a pack made durable in the store and the location of every object in it, and marks the
    /// objects as referenced by `pool`, in one transaction.
    func recordPack(_ packID: String, size: UInt64, objects: [ChunkLocation], at time: Int64) async throws
    /// Marks objects as referenced by a pool (an agent of that pool uploaded them or a duplicate).
    func addPoolReferences(pool: String, ids: [ChunkID]) async throws
    /// Which of `ids` are stored *and* referenced by `pool` — the only existence answer an agent gets.
    func existing(_ ids: [ChunkID], inPool pool: String) async throws -> Set<ChunkID>
    func location(of id: ChunkID) async throws -> ChunkLocation?
    /// The locations of those of `ids` that are stored, in one round trip where the backend can
    /// (intake and restore ask about thousands of objects; one query each costs more than the work).
    func locations(of ids: [ChunkID]) async throws -> [ChunkID: ChunkLocation]
    /// Every stored object, for verification.
    func allLocations() async throws -> [ChunkLocation]
    func packs() async throws -> [(id: String, size: UInt64)]

    // MARK: Retention
    /// Removes a backup set, its snapshots and their inventories from the catalog (the audit log of
    /// its job stays). The objects they used are freed by the next garbage collection.
    func forgetSet(_ id: BackupSetID) async throws
    /// Points the surviving objects of `oldPack` at their copies in `newPack` (already durable) and
    /// forgets `oldPack` and every object of it not copied, in one transaction. `newPack` is nil when
    /// no object survives.
    func replacePack(_ oldPack: String, with newPack: (id: String, size: UInt64, objects: [ChunkLocation])?, at time: Int64)
        async throws
}

extension Catalog {
    /// One `location(of:)` per id, for backends without a batched query.
    public func locations(of ids: [ChunkID]) async throws -> [ChunkID: ChunkLocation] {
        var found: [ChunkID: ChunkLocation] = [:]
        for id in ids {
            if let location = try await location(of: id) { found[id] = location }
        }
        return found
    }
}
