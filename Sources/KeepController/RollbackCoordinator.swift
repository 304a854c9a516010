import Foundation
import KeepCatalog
import KeepCore
import KeepProtocol
import Logging

/// Runs `keepctl rollback`: brings every chosen host of a pool back to its snapshot in a backup set,
/// on every host or on none.
///
/// plan (per host, changes nothing; `--dry-run` stops here) → safety backup set of the same hosts →
/// prepare (each agent stages and verifies the data, runs its pre-rollback hook) → commit, only once
/// every host is prepared. If any host fails to prepare, every host aborts (staged data removed, the
/// undo hook run). Each host's state is persisted, so an interrupted commit is resumed with
/// `--resume JOB` and the whole rollback is undone by rolling back to the safety set.
struct RollbackCoordinator {
    let catalog: any Catalog
    let store: ObjectStore
    let registry: AgentRegistry
    let backups: BackupCoordinator
    let jobs: JobBoard
    let logger: Logger

    /// One host of the rollback.
    private struct Target: Sendable {
        let snapshot: SnapshotRecord
        let root: ChunkID
        let link: AgentLink
        var host: String { snapshot.hostID }
    }

    func run(
        _ request: Keep_V1_RollbackRequest, requestedBy: PeerIdentity,
        events: @escaping @Sendable (Keep_V1_JobEvent) async -> Void
    ) async throws -> Keep_V1_RollbackResult {
        if !request.resumeJobID.isEmpty {
            return try await resume(JobID(rawValue: request.resumeJobID), requestedBy: requestedBy, events: events)
        }
        let setID = BackupSetID(rawValue: request.setID)
        let targets = try await targets(pool: request.pool, set: setID, hosts: request.hosts)
        let now = Clock.unixSeconds()
        let jobID = JobID.generate(at: now, random: UInt32.random(in: 0...UInt32.max))
        try await jobs.begin(
            JobRecord(
                id: jobID, kind: request.dryRun ? "rollback-dry-run" : "rollback", scope: "pool:\(request.pool) set:\(setID)",
                requestedBy: requestedBy.commonName, created: now, status: .running))
        let audit = JobAudit(catalog: catalog, jobID: jobID, setID: setID, logger: logger, events: events)
        await audit.record(
            .jobStarted,
            message: "\(requestedBy.commonName) started a rollback of pool \(request.pool) to set \(setID) on "
                + targets.map(\.host).joined(separator: ", ") + (request.dryRun ? " (dry run)" : ""))
        var result = Keep_V1_RollbackResult.with {
            $0.jobID = jobID.rawValue
            $0.setID = setID.rawValue
            $0.dryRun = request.dryRun
        }
        do {
            // Plan.
            let plans = try await forEach(targets) { target in
                try await command(.rollbackPlan, target, jobID: jobID, requestedBy: requestedBy).plan
            }
            for target in targets {
                try await record(target, jobID: jobID, state: "planned", audit: audit, detail: plans[target.host].map(describe) ?? "")
            }
            if request.dryRun {
                result.hosts = targets.map { target in
                    .with {
                        $0.hostID = target.host
                        $0.state = "planned"
                        $0.plan = plans[target.host] ?? .init()
                    }
                }
                try await jobs.finish(jobID, status: .complete)
                await audit.record(.jobFinished, message: "dry run: nothing was changed")
                return result
            }

            // Safety backup of the same hosts, so the rollback itself can be undone.
            let safety = try await backups.run(
                scope: .hosts(targets.map(\.host)), label: "safety copy before rollback \(jobID)", requestedBy: requestedBy,
                events: events)
            result.safetySetID = safety.setID
            let failedSafety = safety.hosts.filter { $0.status != .ok }.map(\.hostID)
            guard failedSafety.isEmpty else {
                throw KeepError(
                    .jobFailed, "the safety backup failed on \(failedSafety.joined(separator: ", ")); nothing was changed",
                    hint: "fix those hosts and run the rollback again")
            }
            await audit.record(.hostFinished, message: "safety set \(safety.setID) taken; roll back to it to undo this rollback")

            // Prepare everywhere; commit only if every host is ready.
            let prepared = await forEachSettled(targets) { target in
                try await command(.rollbackPrepare, target, jobID: jobID, requestedBy: requestedBy)
            }
            let failures = prepared.compactMapValues { outcome -> KeepError? in
                if case .failure(let error) = outcome { return error }
                return nil
            }
            if !failures.isEmpty {
                for (host, error) in failures.sorted(by: { $0.key < $1.key }) {
                    await audit.record(.hostFailed, host: host, message: "prepare failed: \(error)")
                }
                _ = await forEachSettled(targets) { target in
                    try await command(.rollbackAbort, target, jobID: jobID, requestedBy: requestedBy)
                }
                for target in targets {
                    try await record(target, jobID: jobID, state: failures[target.host] == nil ? "aborted" : "failed", audit: audit)
                }
                result.hosts = targets.map { target in
                    .with {
                        $0.hostID = target.host
                        $0.state = failures[target.host] == nil ? "aborted" : "failed"
                        $0.plan = plans[target.host] ?? .init()
                        if let error = failures[target.host] { $0.error = Keep_V1_Error(error) }
                    }
                }
                try await jobs.finish(jobID, status: .failed)
                await audit.record(.jobFinished, message: "rollback aborted: no host was changed")
                return result
            }
            for target in targets { try await record(target, jobID: jobID, state: "prepared", audit: audit) }
            result.hosts = try await commit(targets, jobID: jobID, requestedBy: requestedBy, plans: plans, audit: audit)
            result.committed = result.hosts.allSatisfy { $0.state == "committed" }
            return result
        } catch {
            _ = try? await jobs.finish(jobID, status: .failed)
            await audit.record(.jobFinished, message: "rollback failed: \(error)")
            throw error
        }
    }

    /// Finishes the commit phase of an interrupted rollback: hosts not yet committed commit again
    /// (the agents' commit is idempotent and their staged data survived).
    private func resume(_ jobID: JobID, requestedBy: PeerIdentity, events: @escaping @Sendable (Keep_V1_JobEvent) async -> Void)
        async throws -> Keep_V1_RollbackResult
    {
        guard let job = try await catalog.job(jobID), job.kind == "rollback" else {
            throw KeepError(.notFound, "no rollback job \(jobID)", hint: "find it in the controller log or keepctl sets")
        }
        let states = try await catalog.rollbackStates(job: jobID)
        guard !states.isEmpty, states.allSatisfy({ ["prepared", "committed", "failed"].contains($0.state) }),
            states.contains(where: { $0.state != "committed" })
        else {
            throw KeepError(
                .conflict, "rollback \(jobID) cannot be resumed: its hosts are \(Set(states.map(\.state)).sorted().joined(separator: ", "))",
                hint: "only a rollback that reached its commit phase can be resumed")
        }
        var targets: [Target] = []
        for state in states {
            guard let snapshot = try await catalog.snapshot(state.snapshot), let root = snapshot.rootTree else {
                throw KeepError(.notFound, "snapshot \(state.snapshot) of the rollback is gone")
            }
            guard let link = await registry.link(for: state.host) else {
                throw KeepError(.hostOffline, "agent \(state.host) is offline", hint: "start keep-agent on \(state.host) and resume again")
            }
            targets.append(Target(snapshot: snapshot, root: root, link: link))
        }
        try await jobs.resume(jobID, kind: job.kind)
        let audit = JobAudit(catalog: catalog, jobID: jobID, setID: targets[0].snapshot.setID, logger: logger, events: events)
        await audit.record(.jobStarted, message: "\(requestedBy.commonName) resumed rollback \(jobID)")
        let committed = Set(states.filter { $0.state == "committed" }.map(\.host))
        var hosts = try await commit(
            targets.filter { !committed.contains($0.host) }, jobID: jobID, requestedBy: requestedBy, plans: [:], audit: audit)
        hosts += committed.sorted().map { host in .with { $0.hostID = host; $0.state = "committed" } }
        return .with {
            $0.jobID = jobID.rawValue
            $0.setID = targets[0].snapshot.setID.rawValue
            $0.hosts = hosts.sorted { $0.hostID < $1.hostID }
            $0.committed = hosts.allSatisfy { $0.state == "committed" }
        }
    }

    private func commit(
        _ targets: [Target], jobID: JobID, requestedBy: PeerIdentity, plans: [String: Keep_V1_RollbackPlan], audit: JobAudit
    ) async throws -> [Keep_V1_RollbackHostResult] {
        await audit.record(.hostStarted, message: "every host is prepared: committing")
        let outcomes = await forEachSettled(targets) { target in
            try await command(.rollbackCommit, target, jobID: jobID, requestedBy: requestedBy)
        }
        var hosts: [Keep_V1_RollbackHostResult] = []
        for target in targets {
            var host = Keep_V1_RollbackHostResult.with {
                $0.hostID = target.host
                $0.plan = plans[target.host] ?? .init()
            }
            switch outcomes[target.host] {
            case .success?:
                host.state = "committed"
                try await record(target, jobID: jobID, state: "committed", audit: audit)
            case .failure(let error)?:
                host.state = "failed"
                host.error = Keep_V1_Error(error)
                try await record(target, jobID: jobID, state: "failed", audit: audit, detail: "commit failed: \(error)")
            case nil:
                host.state = "failed"
            }
            hosts.append(host)
        }
        let allCommitted = hosts.allSatisfy { $0.state == "committed" }
        try await jobs.finish(jobID, status: allCommitted ? .complete : .partial)
        await audit.record(
            .jobFinished,
            message: allCommitted
                ? "rollback committed on every host"
                : "rollback committed on \(hosts.filter { $0.state == "committed" }.map(\.hostID).joined(separator: ", ")); "
                    + "finish it with keepctl rollback --resume \(jobID)")
        return hosts
    }

    // MARK: Helpers

    private func command(_ phase: Keep_V1_RollbackPhase, _ target: Target, jobID: JobID, requestedBy: PeerIdentity)
        async throws -> Keep_V1_RollbackStatus
    {
        try await AgentCommand(link: target.link, store: store, root: target.root).run(
            .rollbackCommand(
                .with {
                    $0.jobID = jobID.rawValue
                    $0.phase = phase
                    $0.snapshotID = target.snapshot.id.rawValue
                    $0.rootTree = Data(target.root.bytes)
                    $0.requestedBy = requestedBy.commonName
                }),
            finish: { message in
                if case .rollbackStatus(let status) = message, status.phase == phase { return status }
                return nil
            })
    }

    private func record(_ target: Target, jobID: JobID, state: String, audit: JobAudit, detail: String = "") async throws {
        try await catalog.setRollbackState(
            job: jobID, host: target.host, snapshot: target.snapshot.id, state: state, at: Clock.unixSeconds())
        let kind: Keep_V1_JobEventKind = state == "failed" ? .hostFailed : .hostFinished
        await audit.record(kind, host: target.host, message: "\(target.host): \(state)" + (detail.isEmpty ? "" : " — \(detail)"))
    }

    private func describe(_ plan: Keep_V1_RollbackPlan) -> String {
        "\(plan.filesAdded) to add, \(plan.filesReplaced) to replace, \(plan.filesRemoved) to remove, "
            + "\(plan.metadataChanged) metadata changes, \(plan.bytesToWrite) bytes to write"
    }

    private func targets(pool: String, set: BackupSetID, hosts: [String]) async throws -> [Target] {
        guard try await catalog.set(set) != nil else {
            throw KeepError(.notFound, "no backup set \(set)", hint: "list sets with keepctl sets --pool \(pool)")
        }
        let snapshots = try await catalog.snapshots(host: nil, pool: pool, set: set).filter { $0.status == .complete }
        let chosen = hosts.isEmpty ? snapshots : snapshots.filter { hosts.contains($0.hostID) }
        let missing = Set(hosts).subtracting(chosen.map(\.hostID))
        guard missing.isEmpty else {
            throw KeepError(
                .notFound, "set \(set) has no complete snapshot of \(missing.sorted().joined(separator: ", "))",
                hint: "check keepctl snapshots --set \(set)")
        }
        guard !chosen.isEmpty else {
            throw KeepError(.notFound, "set \(set) has no complete snapshot of pool \(pool)", hint: "check keepctl snapshots --set \(set)")
        }
        var targets: [Target] = []
        var offline: [String] = []
        for snapshot in chosen.sorted(by: { $0.hostID < $1.hostID }) {
            guard let root = snapshot.rootTree else { continue }
            if let link = await registry.link(for: snapshot.hostID) {
                targets.append(Target(snapshot: snapshot, root: root, link: link))
            } else {
                let lastSeen = try await catalog.hosts(pool: nil).first { $0.id == snapshot.hostID }?.lastSeen ?? 0
                offline.append("\(snapshot.hostID) (offline since \(UTCStamp.readable(lastSeen)))")
            }
        }
        guard offline.isEmpty else {
            throw KeepError(
                .hostOffline, "agents \(offline.joined(separator: ", ")) are not connected; a rollback needs every host",
                hint: "start them, or use --hosts to leave them out")
        }
        return targets
    }

    /// Runs `body` for every target concurrently; the first error is thrown.
    private func forEach<T: Sendable>(_ targets: [Target], _ body: @escaping @Sendable (Target) async throws -> T)
        async throws -> [String: T]
    {
        try await withThrowingTaskGroup(of: (String, T).self) { group in
            for target in targets { group.addTask { (target.host, try await body(target)) } }
            var results: [String: T] = [:]
            for try await (host, value) in group { results[host] = value }
            return results
        }
    }

    /// Runs `body` for every target concurrently and keeps every outcome.
    private func forEachSettled<T: Sendable>(_ targets: [Target], _ body: @escaping @Sendable (Target) async throws -> T)
        async -> [String: Result<T, KeepError>]
    {
        await withTaskGroup(of: (String, Result<T, KeepError>).self) { group in
            for target in targets {
                group.addTask {
                    do {
                        return (target.host, .success(try await body(target)))
                    } catch {
                        return (target.host, .failure(error as? KeepError ?? KeepError(.internalError, "\(error)", context: target.host)))
                    }
                }
            }
            var results: [String: Result<T, KeepError>] = [:]
            for await (host, outcome) in group { results[host] = outcome }
            return results
        }
    }
}
