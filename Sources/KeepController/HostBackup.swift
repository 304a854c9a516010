import Foundation
import KeepCatalog
import KeepCore
import KeepProtocol

/// Runs the backup of one connected host for a fleet backup job: sends the command, answers the
/// agent's existence queries, takes in its objects, and commits the snapshot last — after the store
/// flushed every object and the snapshot's trees were checked to be complete.
struct HostBackup {
    let link: AgentLink
    let store: ObjectStore
    let catalog: any Catalog
    let jobID: JobID
    let setID: BackupSetID
    let snapshotID: SnapshotID
    let parentRootTree: ChunkID?

    /// Progress while the backup runs.
    struct Progress: Sendable {
        var filesDone: UInt64
        var bytesDone: UInt64
        var bytesTotalEstimate: UInt64
    }

    /// Runs to the end and returns the host's result; never throws (a failure is a result).
    func run(progress: @Sendable (Progress) async -> Void) async -> Keep_V1_HostResult {
        var result = Keep_V1_HostResult.with {
            $0.hostID = link.hostID
            $0.pool = link.pool
            $0.snapshotID = snapshotID.rawValue
        }
        var bytesNew: UInt64 = 0
        var commandRequestID: UInt64?
        do {
            try await catalog.createSnapshot(
                SnapshotRecord(
                    id: snapshotID, setID: setID, hostID: link.hostID, pool: link.pool, status: .running,
                    started: Clock.unixSeconds()))
            let (requestID, frames) = try await link.start(
                .backupCommand(
                    .with {
                        $0.jobID = jobID.rawValue
                        $0.setID = setID.rawValue
                        $0.snapshotID = snapshotID.rawValue
                        $0.parentRootTree = parentRootTree.map { Data($0.bytes) } ?? Data()
                    }))
            commandRequestID = requestID
            defer { link.finishCommand() }
            for await frame in frames {
                switch frame {
                case .chunk(let chunk):
                    ControllerMetrics.chunksReceived.increment()
                    ControllerMetrics.bytesReceived.increment(by: chunk.payload.readableBytes)
                    let added = try await store.ingest(chunk, pool: link.pool)
                    if added == 0 { ControllerMetrics.chunksDeduplicated.increment() }
                    ControllerMetrics.bytesStored.increment(by: added)
                    bytesNew += added
                case .control(let envelope):
                    switch envelope.body {
                    case .haveChunksRequest(let request):
                        try await answer(request, requestID: envelope.requestID)
                    case .backupProgress(let update):
                        await progress(
                            Progress(
                                filesDone: update.filesDone, bytesDone: update.bytesDone,
                                bytesTotalEstimate: update.bytesTotalEstimate))
                    case .backupComplete(let complete):
                        try await commit(complete, bytesNew: bytesNew, requestID: envelope.requestID)
                        result.status = .ok
                        result.files = complete.stats.files
                        result.bytesRead = complete.stats.bytesRead
                        result.bytesSent = complete.stats.bytesSent
                        result.bytesNewStored = bytesNew
                        return result
                    case .backupFailed(let failed):
                        throw KeepError(failed.error)
                    default:
                        throw KeepError(
                            .protocolViolation, "unexpected \(frame.messageName) during a backup", context: link.hostID)
                    }
                }
            }
            throw KeepError(
                .unavailable, "host \(link.hostID) disconnected during the backup",
                hint: "check keep-agent on \(link.hostID), then back it up again")
        } catch {
            let keepError = error as? KeepError ?? KeepError(.internalError, "\(error)", context: link.hostID)
            try? await catalog.failSnapshot(snapshotID, error: keepError.description, at: Clock.unixSeconds())
            if let commandRequestID {
                // Tell the agent to stop sending for this backup (it may still be running).
                try? await link.send(.error(keepError, requestID: commandRequestID))
            }
            result.status = .failed
            result.error = Keep_V1_Error(keepError)
            return result
        }
    }

    private func answer(_ request: Keep_V1_HaveChunksRequest, requestID: UInt64) async throws {
        guard request.ids.count <= ProtocolLimits.maxHaveChunksBatch else {
            throw KeepError(
                .protocolViolation, "HaveChunksRequest with \(request.ids.count) ids exceeds the limit", context: link.hostID)
        }
        let ids = try request.ids.map { bytes in
            guard let id = ChunkID(bytes: bytes) else {
                throw KeepError(.protocolViolation, "an object id is not 32 bytes", context: link.hostID)
            }
            return id
        }
        let present = try await store.existing(ids, inPool: link.pool)
        ControllerMetrics.chunksDeduplicated.increment(by: present.count)
        var bitmap = [UInt8](repeating: 0, count: (ids.count + 7) / 8)
        for (index, id) in ids.enumerated() where present.contains(id) {
            bitmap[index / 8] |= 1 << UInt8(index % 8)
        }
        try await link.send(.control(requestID: requestID, .haveChunksResponse(.with { $0.presentBitmap = Data(bitmap) })))
    }

    private func commit(_ complete: Keep_V1_BackupComplete, bytesNew: UInt64, requestID: UInt64) async throws {
        guard let root = ChunkID(bytes: complete.rootTree) else {
            throw KeepError(.protocolViolation, "BackupComplete without a root tree", context: link.hostID)
        }
        try await store.flush()
        let missing = try await SnapshotObjects(store: store, catalog: catalog, pool: link.pool).missingObjects(
            root: root, sharingWith: parentRootTree)
        guard missing.isEmpty else {
            throw KeepError(
                .integrity, "the snapshot references \(missing.count) objects the store does not have",
                context: link.hostID, hint: "back the host up again")
        }
        var stats = SnapshotStats()
        stats.files = complete.stats.files
        stats.directories = complete.stats.directories
        stats.symlinks = complete.stats.symlinks
        stats.others = complete.stats.others
        stats.bytesTotal = complete.stats.bytesTotal
        stats.bytesRead = complete.stats.bytesRead
        stats.bytesSent = complete.stats.bytesSent
        stats.bytesNew = bytesNew
        try await catalog.completeSnapshot(
            snapshotID, rootTree: root, stats: stats,
            pathErrors: complete.pathErrors.map { PathErrorRecord(path: $0.path, message: $0.message) },
            inventory: complete.inventory.map { (kind: $0.kind, json: Array($0.json)) }, at: Clock.unixSeconds())
        try await link.send(.control(requestID: requestID, .backupCommitted(.with { $0.snapshotID = snapshotID.rawValue })))
    }
}
