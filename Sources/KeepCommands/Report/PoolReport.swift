import KeepCore

/// The documentation of a pool's existing systems at backup time: what each host ran (OS, hardware,
/// filesystems, network, packages, services), who is homed there, and what the backup holds.
///
/// It is a plain value built from the controller's answers (`PoolReport+Building.swift`), so the
/// renderers (`MarkdownRenderer`, `HTMLRenderer`) can be tested without a controller.
public struct PoolReport: Sendable, Hashable {
    /// The pool the report documents.
    public var pool: String
    /// The backup set the operator asked for; `nil` when the report takes the newest snapshot of each host.
    public var requestedSetID: String?
    /// The sets the report's snapshots belong to (one when a set was asked for).
    public var sets: [BackupSetSummary]
    /// One entry per host, sorted by host id.
    public var hosts: [HostReport]
    /// When the report was generated (Unix seconds).
    public var generated: Int64

    public init(
        pool: String, requestedSetID: String?, sets: [BackupSetSummary], hosts: [HostReport], generated: Int64
    ) {
        self.pool = pool
        self.requestedSetID = requestedSetID
        self.sets = sets
        self.hosts = hosts
        self.generated = generated
    }

    /// Bytes the hosts' snapshots hold (their logical size, before dedup and compression).
    public var backupBytes: UInt64 { hosts.reduce(0) { $0 + ($1.snapshot?.bytesTotal ?? 0) } }

    /// Files the hosts' snapshots hold.
    public var backupFiles: UInt64 { hosts.reduce(0) { $0 + ($1.snapshot?.files ?? 0) } }

    /// Each OS version and the hosts that run it, most common first; hosts without a system
    /// inventory are grouped under "unknown".
    public var operatingSystems: [OperatingSystemUsage] {
        var hostsByName: [String: [String]] = [:]
        for host in hosts { hostsByName[host.operatingSystem, default: []].append(host.hostID) }
        return hostsByName.map { OperatingSystemUsage(name: $0.key, hosts: $0.value) }
            .sorted { ($1.hosts.count, $0.name) < ($0.hosts.count, $1.name) }
    }

    /// The human and application accounts of the pool by unique name, with the hosts each is homed on.
    public var accounts: [PoolAccount] {
        var byName: [String: PoolAccount] = [:]
        for host in hosts {
            for account in host.accounts {
                var entry = byName[account.name] ?? PoolAccount(name: account.name, kinds: [], uids: [], hosts: [])
                if !entry.kinds.contains(account.kind) { entry.kinds.append(account.kind) }
                if let uid = account.uid, !entry.uids.contains(uid) { entry.uids.append(uid) }
                entry.hosts.append(host.hostID)
                byName[account.name] = entry
            }
        }
        return byName.values.sorted { $0.name < $1.name }
    }

    /// System accounts over all hosts (counted, not listed: they are the same on every host).
    public var systemAccountCount: Int { hosts.reduce(0) { $0 + $1.systemAccounts.count } }
}

/// One OS version and the hosts that run it.
public struct OperatingSystemUsage: Sendable, Hashable {
    public var name: String
    public var hosts: [String]
}

/// One account name across the pool: its kinds and uids (normally one each) and its hosts.
public struct PoolAccount: Sendable, Hashable {
    public var name: String
    public var kinds: [UsersInventory.Kind]
    public var uids: [UInt32]
    public var hosts: [String]
}

/// A backup set as the report shows it.
public struct BackupSetSummary: Sendable, Hashable {
    public var id: String
    public var label: String
    /// Unix seconds.
    public var created: Int64
    /// `running`, `complete`, `partial` or `failed`.
    public var status: String

    public init(id: String, label: String, created: Int64, status: String) {
        self.id = id
        self.label = label
        self.created = created
        self.status = status
    }
}

/// The snapshot a host's section documents.
public struct SnapshotSummary: Sendable, Hashable {
    public var id: String
    public var setID: String
    /// `running`, `complete` or `failed`.
    public var status: String
    /// Unix seconds; 0 while running.
    public var finished: Int64
    public var files: UInt64
    public var bytesTotal: UInt64
    public var bytesNew: UInt64
    /// Why it failed; empty otherwise.
    public var error: String

    public init(
        id: String, setID: String, status: String, finished: Int64, files: UInt64, bytesTotal: UInt64,
        bytesNew: UInt64, error: String
    ) {
        self.id = id
        self.setID = setID
        self.status = status
        self.finished = finished
        self.files = files
        self.bytesTotal = bytesTotal
        self.bytesNew = bytesNew
        self.error = error
    }
}
