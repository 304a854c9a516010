import Foundation
import KeepCatalog
import KeepCore
import KeepProtocol
import Logging

/// `keepctl prune`: forgets backup sets (explicitly, or all but the newest N of each scope) and frees
/// the storage that no remaining complete snapshot references.
///
/// Packs whose objects are all unreferenced are deleted; packs where unreferenced objects take more
/// than half the bytes are rewritten with the survivors. Each rewrite makes the new pack durable,
/// then switches the catalog in one transaction, then deletes the old file — a crash at any point
/// loses nothing referenced (at worst it leaves an orphan pack file, removed by the next prune).
struct Pruner {
    let catalog: any Catalog
    let store: ObjectStore
    let jobs: JobBoard
    let logger: Logger

    /// Runs the prune as a job of its own (in the audit log; no other job runs meanwhile).
    func prune(_ request: Keep_V1_PruneRequest, requestedBy: PeerIdentity) async throws -> Keep_V1_PruneResponse {
        let now = Clock.unixSeconds()
        let jobID = JobID.generate(at: now, random: UInt32.random(in: 0...UInt32.max))
        try await jobs.beginPrune(
            JobRecord(
                id: jobID, kind: "prune", scope: request.pool.isEmpty ? "all" : "pool:\(request.pool)",
                requestedBy: requestedBy.commonName, created: now, status: .running))
        do {
            let response = try await collect(request, requestedBy: requestedBy)
            try await catalog.appendEvent(
                JobEventRecord(
                    jobID: jobID, at: Clock.unixSeconds(), kind: "prune",
                    message: "forgot \(response.setsForgotten.joined(separator: ", ")); freed \(response.bytesFreed) bytes"
                        + (request.dryRun ? " (dry run)" : "")))
            try await jobs.finish(jobID, status: .complete)
            return response
        } catch {
            _ = try? await jobs.finish(jobID, status: .failed)
            throw error
        }
    }

    private func collect(_ request: Keep_V1_PruneRequest, requestedBy: PeerIdentity) async throws -> Keep_V1_PruneResponse {
        let forgotten = try await setsToForget(request)
        var response = Keep_V1_PruneResponse.with {
            $0.dryRun = request.dryRun
            $0.setsForgotten = forgotten.map(\.rawValue)
        }
        var forgottenSnapshots = Set<SnapshotID>()
        for set in forgotten {
            for snapshot in try await catalog.snapshots(host: nil, pool: nil, set: set) { forgottenSnapshots.insert(snapshot.id) }
        }
        response.snapshotsForgotten = UInt64(forgottenSnapshots.count)
        if !request.dryRun {
            for set in forgotten {
                try await catalog.forgetSet(set)
                logger.notice("\(requestedBy.commonName) pruned backup set \(set)")
            }
        }

        // Everything still referenced by a complete snapshot (for a dry run: one that survives).
        var reachable = Set<ChunkID>()
        let objects = SnapshotObjects(store: store, catalog: catalog)
        for snapshot in try await catalog.snapshots(host: nil, pool: nil, set: nil)
        where snapshot.status == .complete && !forgottenSnapshots.contains(snapshot.id) {
            guard let root = snapshot.rootTree else { continue }
            try await objects.visit(root: root) { id, _ in reachable.insert(id).inserted }
        }

        let byPack = Dictionary(grouping: try await catalog.allLocations(), by: \.packID)
        for (packID, size) in try await catalog.packs() {
            let locations = byPack[packID] ?? []
            let survivors = locations.filter { reachable.contains($0.id) }
            guard survivors.count < locations.count || locations.isEmpty else { continue }
            let liveBytes = survivors.reduce(UInt64(0)) { $0 + UInt64($1.length) }
            response.objectsRemoved += UInt64(locations.count - survivors.count)
            if survivors.isEmpty {
                response.packsDeleted += 1
                response.bytesFreed += size
                if !request.dryRun {
                    try await catalog.replacePack(packID, with: nil, at: Clock.unixSeconds())
                    try await store.deletePack(packID)
                }
            } else if liveBytes * 2 < size {
                response.packsRewritten += 1
                if request.dryRun {
                    response.bytesFreed += size - liveBytes
                } else {
                    let rewritten = try await store.repack(survivors)
                    try await catalog.replacePack(packID, with: rewritten, at: Clock.unixSeconds())
                    try await store.deletePack(packID)
                    response.bytesFreed += size - (rewritten?.size ?? 0)
                }
            }
        }
        if !request.dryRun {
            // Pack files the catalog does not know: left by a crash between writing a pack and recording it.
            let known = Set(try await catalog.packs().map(\.id))
            for packID in try await store.storedPacks() where !known.contains(packID) {
                try await store.deletePack(packID)
                response.packsDeleted += 1
            }
        }
        let summary =
            "prune by \(requestedBy.commonName): \(forgotten.count) sets, \(response.objectsRemoved) objects, "
            + "\(response.bytesFreed) bytes freed" + (request.dryRun ? " (dry run)" : "")
        logger.notice("\(summary)")
        return response
    }

    private func setsToForget(_ request: Keep_V1_PruneRequest) async throws -> [BackupSetID] {
        var chosen: [BackupSetID] = []
        for id in request.setIds {
            guard let set = try await catalog.set(BackupSetID(rawValue: id)) else {
                throw KeepError(.notFound, "no backup set \(id)", hint: "list them with keepctl sets")
            }
            guard set.status != .running else { throw KeepError(.conflict, "set \(id) is still running") }
            chosen.append(set.id)
        }
        if request.keepLast > 0 {
            // With a pool, only that pool's own sets: a fleet-wide set also holds other pools' snapshots.
            let sets = try await catalog.sets(pool: nil).filter { request.pool.isEmpty || $0.scope == "pool:\(request.pool)" }
            let byScope = Dictionary(grouping: sets.filter { $0.status != .running }, by: \.scope)
            for (_, scoped) in byScope {
                let newestFirst = scoped.sorted { ($0.created, $0.id.rawValue) > ($1.created, $1.id.rawValue) }
                var kept = 0
                for set in newestFirst {
                    if set.status == .complete && kept < request.keepLast {
                        kept += 1
                    } else if kept >= request.keepLast {
                        chosen.append(set.id)
                    }
                }
            }
        }
        guard !chosen.isEmpty || request.keepLast > 0 || !request.setIds.isEmpty else {
            throw KeepError(.configuration, "nothing to prune", hint: "name --set SET or --keep-last N")
        }
        return Array(Set(chosen)).sorted { $0.rawValue < $1.rawValue }
    }
}
