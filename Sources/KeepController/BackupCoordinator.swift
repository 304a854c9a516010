import KeepCatalog
import KeepCore
import KeepProtocol
import Logging

/// Runs fleet backups: one backup set per request, one snapshot per host of the scope, hosts in
/// parallel. Offline hosts are reported, never silently skipped. Every step lands in the job's audit log.
struct BackupCoordinator {
    let catalog: any Catalog
    let store: ObjectStore
    let registry: AgentRegistry
    let jobs: JobBoard
    let logger: Logger

    /// Which hosts a request covers.
    enum Scope: Sendable, CustomStringConvertible {
        case pool(String)
        case host(String)
        /// Some hosts by id (the safety backup of a rollback).
        case hosts([String])
        case all

        var description: String {
            switch self {
            case .pool(let pool): "pool:\(pool)"
            case .host(let host): "host:\(host)"
            case .hosts(let hosts): "hosts:\(hosts.joined(separator: ","))"
            case .all: "all"
            }
        }
    }

    /// Runs the backup of `scope`, reporting events as they happen, and returns the per-host result.
    func run(
        scope: Scope, label: String, requestedBy: PeerIdentity, events: @escaping @Sendable (Keep_V1_JobEvent) async -> Void
    ) async throws -> Keep_V1_JobResult {
        let hosts = try await hosts(in: scope)
        let now = Clock.unixSeconds()
        let jobID = JobID.generate(at: now, random: UInt32.random(in: 0...UInt32.max))
        let setID = BackupSetID.generate(at: now, random: UInt32.random(in: 0...UInt32.max))
        try await jobs.begin(
            JobRecord(id: jobID, kind: "backup", scope: scope.description, requestedBy: requestedBy.commonName, created: now, status: .running))
        try await catalog.createSet(
            BackupSetRecord(
                id: setID, label: label, scope: scope.description, jobID: jobID, created: now, status: .running,
                requestedBy: requestedBy.commonName))
        let audit = JobAudit(catalog: catalog, jobID: jobID, setID: setID, logger: logger, events: events)
        await audit.record(
            .jobStarted, message: "\(requestedBy.commonName) started a backup of \(scope) (\(hosts.count) host\(hosts.count == 1 ? "" : "s")), set \(setID)")

        let results = await withTaskGroup(of: Keep_V1_HostResult.self) { group in
            for host in hosts {
                group.addTask { await backUp(host, jobID: jobID, setID: setID, audit: audit) }
            }
            var results: [Keep_V1_HostResult] = []
            for await result in group { results.append(result) }
            return results.sorted { ($0.pool, $0.hostID) < ($1.pool, $1.hostID) }
        }

        let succeeded = results.filter { $0.status == .ok }.count
        let status: RecordStatus = succeeded == results.count ? .complete : succeeded == 0 ? .failed : .partial
        try await jobs.finish(jobID, status: status, set: setID)
        await audit.record(.jobFinished, message: "backup \(status.rawValue): \(succeeded) of \(results.count) hosts backed up")
        return .with {
            $0.jobID = jobID.rawValue
            $0.setID = setID.rawValue
            $0.hosts = results
        }
    }

    private func backUp(_ host: HostRecord, jobID: JobID, setID: BackupSetID, audit: JobAudit) async -> Keep_V1_HostResult {
        guard let link = await registry.link(for: host.id) else {
            let error = KeepError(
                .hostOffline, "agent \(host.id) is offline since \(UTCStamp.readable(host.lastSeen))",
                context: host.id, hint: "start keep-agent on \(host.id), then back it up with --host \(host.id)")
            await audit.record(.hostOffline, host: host.id, message: error.description)
            return .with {
                $0.hostID = host.id
                $0.pool = host.pool
                $0.status = .offline
                $0.error = Keep_V1_Error(error)
            }
        }
        await audit.record(.hostStarted, host: host.id, message: "backup of \(host.id) started")
        let parent = try? await catalog.latestCompleteSnapshot(host: host.id)
        let snapshotID = SnapshotID.generate(at: Clock.unixSeconds(), random: UInt32.random(in: 0...UInt32.max))
        let backup = HostBackup(
            link: link, store: store, catalog: catalog, jobID: jobID, setID: setID, snapshotID: snapshotID,
            parentRootTree: parent?.rootTree)
        let result = await backup.run { progress in
            await audit.progress(host: host.id, progress)
        }
        if result.status == .ok {
            await audit.record(
                .hostFinished, host: host.id,
                message: "snapshot \(snapshotID): \(result.files) files, \(result.bytesSent) bytes sent, \(result.bytesNewStored) new")
        } else {
            ControllerMetrics.count(KeepError(result.error))
            await audit.record(.hostFailed, host: host.id, message: KeepError(result.error).description)
        }
        return result
    }

    private func hosts(in scope: Scope) async throws -> [HostRecord] {
        switch scope {
        case .all:
            return try await catalog.hosts(pool: nil)
        case .pool(let pool):
            let hosts = try await catalog.hosts(pool: pool)
            guard !hosts.isEmpty else {
                throw KeepError(.notFound, "no agent of pool \(pool) has ever connected", hint: "check the pool name with keepctl agents")
            }
            return hosts
        case .hosts(let ids):
            let known = try await catalog.hosts(pool: nil).filter { ids.contains($0.id) }
            guard known.count == Set(ids).count else {
                throw KeepError(.notFound, "unknown hosts among \(ids.joined(separator: ", "))", hint: "check keepctl agents")
            }
            return known
        case .host(let id):
            guard let host = try await catalog.hosts(pool: nil).first(where: { $0.id == id }) else {
                throw KeepError(.notFound, "unknown host \(id)", hint: "check the host id with keepctl agents")
            }
            return [host]
        }
    }
}

/// Writes a job's events to the catalog's audit log and streams them to the operator who asked.
struct JobAudit: Sendable {
    let catalog: any Catalog
    let jobID: JobID
    let setID: BackupSetID
    let logger: Logger
    let events: @Sendable (Keep_V1_JobEvent) async -> Void

    func record(_ kind: Keep_V1_JobEventKind, host: String? = nil, message: String) async {
        logger.info("\(message)", metadata: ["job": "\(jobID)", "host": "\(host ?? "-")"])
        try? await catalog.appendEvent(
            JobEventRecord(jobID: jobID, at: Clock.unixSeconds(), hostID: host, kind: kind.auditName, message: message))
        await events(event(kind, host: host, message: message))
    }

    func progress(host: String, _ progress: HostBackup.Progress) async {
        var update = event(.hostProgress, host: host, message: "")
        update.filesDone = progress.filesDone
        update.bytesDone = progress.bytesDone
        update.bytesTotalEstimate = progress.bytesTotalEstimate
        await events(update)
    }

    private func event(_ kind: Keep_V1_JobEventKind, host: String?, message: String) -> Keep_V1_JobEvent {
        .with {
            $0.jobID = jobID.rawValue
            $0.setID = setID.rawValue
            $0.hostID = host ?? ""
            $0.kind = kind
            $0.message = message
            $0.unixMillis = Clock.unixMillis()
        }
    }
}

extension Keep_V1_JobEventKind {
    var auditName: String {
        switch self {
        case .jobStarted: "job-started"
        case .hostStarted: "host-started"
        case .hostProgress: "host-progress"
        case .hostFinished: "host-finished"
        case .hostFailed: "host-failed"
        case .hostOffline: "host-offline"
        case .jobFinished: "job-finished"
        default: "event"
        }
    }
}
