import Foundation
import KeepCatalog
import KeepCore
import KeepProtocol
import Logging

/// Runs `keepctl restore`: one snapshot (or some paths of it) onto one host, to its original place or
/// to another directory. Only a complete snapshot is restored; the receiving agent is the snapshot's
/// own host unless the operator names another with `--to-host`.
struct RestoreCoordinator {
    let catalog: any Catalog
    let store: ObjectStore
    let registry: AgentRegistry
    let jobs: JobBoard
    let logger: Logger

    func run(
        _ request: Keep_V1_RestoreRequest, requestedBy: PeerIdentity,
        events: @escaping @Sendable (Keep_V1_JobEvent) async -> Void
    ) async throws -> Keep_V1_RestoreResult {
        let snapshot = try await snapshot(for: request)
        guard snapshot.status == .complete, let root = snapshot.rootTree else {
            throw KeepError(
                .notFound, "snapshot \(snapshot.id) is \(snapshot.status.rawValue), not complete: it cannot be restored",
                hint: "choose a complete snapshot with keepctl snapshots --host \(snapshot.hostID)")
        }
        guard request.inPlace != !request.targetDirectory.isEmpty else {
            throw KeepError(.configuration, "choose exactly one of --to DIR and --in-place")
        }
        if !request.targetDirectory.isEmpty && !request.targetDirectory.hasPrefix("/") {
            throw KeepError(.configuration, "the target directory must be an absolute path on the host")
        }
        let receiver = request.toHost.isEmpty ? snapshot.hostID : request.toHost
        guard let link = await registry.link(for: receiver) else {
            throw KeepError(
                .hostOffline, "agent \(receiver) is not connected", hint: "start keep-agent on \(receiver) and try again")
        }
        let now = Clock.unixSeconds()
        let jobID = JobID.generate(at: now, random: UInt32.random(in: 0...UInt32.max))
        try await jobs.begin(
            JobRecord(id: jobID, kind: request.dryRun ? "restore-dry-run" : "restore", scope: "host:\(receiver)",
                      requestedBy: requestedBy.commonName, created: now, status: .running))
        let audit = JobAudit(catalog: catalog, jobID: jobID, setID: snapshot.setID, logger: logger, events: events)
        let target = request.inPlace ? "/" : request.targetDirectory
        await audit.record(
            .jobStarted, host: receiver,
            message: "\(requestedBy.commonName) started a restore of \(snapshot.id) (\(snapshot.hostID)) to \(receiver):\(target)"
                + (request.paths.isEmpty ? "" : " paths \(request.paths.joined(separator: ", "))")
                + (request.dryRun ? " (dry run)" : ""))
        do {
            let command = AgentCommand(link: link, store: store, root: root)
            let summary = try await command.run(
                .restoreCommand(
                    .with {
                        $0.jobID = jobID.rawValue
                        $0.snapshotID = snapshot.id.rawValue
                        $0.sourceHost = snapshot.hostID
                        $0.rootTree = Data(root.bytes)
                        $0.paths = request.paths
                        $0.targetDirectory = target
                        $0.dryRun = request.dryRun
                        $0.requestedBy = requestedBy.commonName
                    }),
                progress: { update in
                    await audit.progress(
                        host: receiver,
                        .init(filesDone: update.filesDone, bytesDone: update.bytesDone, bytesTotalEstimate: update.bytesTotalEstimate))
                },
                finish: { message -> Keep_V1_RestoreSummary? in
                    if case .restoreComplete(let complete) = message { return complete.summary }
                    return nil
                })
            let status: RecordStatus = summary.errors.isEmpty ? .complete : .partial
            try await jobs.finish(jobID, status: status)
            await audit.record(
                .jobFinished, host: receiver,
                message: "restore \(status.rawValue): \(summary.files) files, \(summary.bytes) bytes, \(summary.errors.count) errors")
            return .with {
                $0.jobID = jobID.rawValue
                $0.hostID = receiver
                $0.snapshotID = snapshot.id.rawValue
                $0.dryRun = request.dryRun
                $0.summary = summary
            }
        } catch {
            _ = try? await jobs.finish(jobID, status: .failed)
            await audit.record(.hostFailed, host: receiver, message: "restore failed: \(error)")
            throw error
        }
    }

    private func snapshot(for request: Keep_V1_RestoreRequest) async throws -> SnapshotRecord {
        if !request.snapshotID.isEmpty {
            guard let snapshot = try await catalog.snapshot(SnapshotID(rawValue: request.snapshotID)) else {
                throw KeepError(.notFound, "no snapshot \(request.snapshotID)", hint: "list them with keepctl snapshots")
            }
            guard request.host.isEmpty || request.host == snapshot.hostID else {
                throw KeepError(
                    .configuration, "snapshot \(snapshot.id) belongs to \(snapshot.hostID), not \(request.host)",
                    hint: "use --to-host \(request.host) to restore another host's data there")
            }
            return snapshot
        }
        guard !request.setID.isEmpty, !request.host.isEmpty else {
            throw KeepError(.configuration, "name a snapshot, or a set and a host")
        }
        let snapshots = try await catalog.snapshots(host: request.host, pool: nil, set: BackupSetID(rawValue: request.setID))
        guard let snapshot = snapshots.first(where: { $0.status == .complete }) ?? snapshots.first else {
            throw KeepError(.notFound, "set \(request.setID) has no snapshot of \(request.host)", hint: "check keepctl snapshots --set \(request.setID)")
        }
        return snapshot
    }
}
