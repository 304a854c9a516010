import KeepCore

/// A host as the controller knows it: from its certificate and its last `Hello`.
public struct HostRecord: Sendable, Hashable, Codable {
    public var id: String
    public var pool: String
    public var certificateFingerprint: String
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var softwareVersion: String
    public var protocolVersion: UInt32
    public var capabilities: [String]
    public var remoteAddress: String

    public init(
        id: String, pool: String, certificateFingerprint: String, firstSeen: Int64, lastSeen: Int64,
        softwareVersion: String, protocolVersion: UInt32, capabilities: [String], remoteAddress: String
    ) {
        self.id = id
        self.pool = pool
        self.certificateFingerprint = certificateFingerprint
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.softwareVersion = softwareVersion
        self.protocolVersion = protocolVersion
        self.capabilities = capabilities
        self.remoteAddress = remoteAddress
    }
}

/// The state of a job, a backup set or a snapshot. Only `complete` snapshots are restorable.
public enum RecordStatus: String, Sendable, Codable, CaseIterable {
    case running
    case complete
    /// Finished, but some hosts failed or were offline.
    case partial
    case failed
    /// The controller stopped while it was running.
    case interrupted
}

/// The snapshots of one fleet operation across a pool, several pools or one host.
public struct BackupSetRecord: Sendable, Hashable, Codable {
    public var id: BackupSetID
    public var label: String
    /// `pool:NAME`, `host:NAME` or `all`.
    public var scope: String
    public var jobID: JobID
    public var created: Int64
    public var finished: Int64?
    public var status: RecordStatus
    public var requestedBy: String

    public init(
        id: BackupSetID, label: String, scope: String, jobID: JobID, created: Int64, finished: Int64? = nil,
        status: RecordStatus, requestedBy: String
    ) {
        self.id = id
        self.label = label
        self.scope = scope
        self.jobID = jobID
        self.created = created
        self.finished = finished
        self.status = status
        self.requestedBy = requestedBy
    }
}

/// One host's backup within a set.
public struct SnapshotRecord: Sendable, Hashable, Codable {
    public var id: SnapshotID
    public var setID: BackupSetID
    public var hostID: String
    public var pool: String
    public var status: RecordStatus
    /// Set only when `status == .complete`.
    public var rootTree: ChunkID?
    public var started: Int64
    public var finished: Int64?
    public var stats: SnapshotStats
    public var error: String?
    public var pathErrors: [PathErrorRecord]

    public init(
        id: SnapshotID, setID: BackupSetID, hostID: String, pool: String, status: RecordStatus,
        rootTree: ChunkID? = nil, started: Int64, finished: Int64? = nil, stats: SnapshotStats = .init(),
        error: String? = nil, pathErrors: [PathErrorRecord] = []
    ) {
        self.id = id
        self.setID = setID
        self.hostID = hostID
        self.pool = pool
        self.status = status
        self.rootTree = rootTree
        self.started = started
        self.finished = finished
        self.stats = stats
        self.error = error
        self.pathErrors = pathErrors
    }
}

/// What a snapshot holds and what it cost to take.
public struct SnapshotStats: Sendable, Hashable, Codable {
    public var files: UInt64 = 0
    public var directories: UInt64 = 0
    public var symlinks: UInt64 = 0
    public var others: UInt64 = 0
    /// Logical size of all files.
    public var bytesTotal: UInt64 = 0
    /// Bytes the agent read from disk (unchanged files are not read again).
    public var bytesRead: UInt64 = 0
    /// Object bytes that crossed the network.
    public var bytesSent: UInt64 = 0
    /// Bytes added to the store (after dedup, compression and encryption).
    public var bytesNew: UInt64 = 0

    public init() {}
}

/// A path the agent could not back up, and why.
public struct PathErrorRecord: Sendable, Hashable, Codable {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}

/// Where a stored object lives.
public struct ChunkLocation: Sendable, Hashable, Codable {
    public var id: ChunkID
    public var packID: String
    public var offset: UInt64
    public var length: UInt32
    public var plaintextLength: UInt32
    /// 0 data chunk, 1 tree (the wire protocol's object types).
    public var type: UInt8
    public var compressed: Bool

    public init(id: ChunkID, packID: String, offset: UInt64, length: UInt32, plaintextLength: UInt32, type: UInt8, compressed: Bool) {
        self.id = id
        self.packID = packID
        self.offset = offset
        self.length = length
        self.plaintextLength = plaintextLength
        self.type = type
        self.compressed = compressed
    }
}

/// A job an operator started, and its audit trail.
public struct JobRecord: Sendable, Hashable, Codable {
    public var id: JobID
    /// `backup`, `verify`, `restore`, `rollback`, …
    public var kind: String
    public var scope: String
    public var requestedBy: String
    public var created: Int64
    public var finished: Int64?
    public var status: RecordStatus

    public init(id: JobID, kind: String, scope: String, requestedBy: String, created: Int64, finished: Int64? = nil, status: RecordStatus) {
        self.id = id
        self.kind = kind
        self.scope = scope
        self.requestedBy = requestedBy
        self.created = created
        self.finished = finished
        self.status = status
    }
}

/// One line of a job's audit log.
public struct JobEventRecord: Sendable, Hashable, Codable {
    public var jobID: JobID
    public var at: Int64
    public var hostID: String?
    public var kind: String
    public var message: String

    public init(jobID: JobID, at: Int64, hostID: String? = nil, kind: String, message: String) {
        self.jobID = jobID
        self.at = at
        self.hostID = hostID
        self.kind = kind
        self.message = message
    }
}

/// One structured inventory document of a snapshot (`users`, `system`, `packages`, `services`).
public struct InventoryRecord: Sendable, Hashable {
    public var snapshotID: SnapshotID
    public var hostID: String
    public var pool: String
    public var kind: String
    public var taken: Int64
    public var json: [UInt8]

    public init(snapshotID: SnapshotID, hostID: String, pool: String, kind: String, taken: Int64, json: [UInt8]) {
        self.snapshotID = snapshotID
        self.hostID = hostID
        self.pool = pool
        self.kind = kind
        self.taken = taken
        self.json = json
    }
}
