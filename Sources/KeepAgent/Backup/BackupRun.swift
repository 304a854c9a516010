import Foundation
import KeepCore
import KeepProtocol
import KeepStore
import KeepTransport
import Logging

/// One backup of this host, as commanded by the controller: pre-hook, walk and upload every source,
/// inventory, BackupComplete, wait for the commit, post-hook. Any failure ends in BackupFailed with
/// the reason (a failing pre-hook's output included).
struct BackupRun {
    let configuration: AgentConfiguration
    let channel: CommandChannel
    let command: Keep_V1_BackupCommand
    let logger: Logger

    func run() async {
        let started = Clock.unixMillis()
        logger.info("backup started", metadata: ["job": "\(command.jobID)", "snapshot": "\(command.snapshotID)"])
        do {
            if let hook = configuration.hooks.preBackup {
                try await HookRunner.run(hook, name: "pre_backup")
            }
            // The collectors wait on dpkg-query and systemctl: run them while the walk runs.
            let inventoryConfiguration = configuration.inventoryConfiguration
            let inventoryTask = Task { try await Self.collectInventory(inventoryConfiguration) }
            let parent = ChunkID(bytes: command.parentRootTree)
            let uploader = Uploader(channel: channel)
            var archiver = Archiver(
                uploader: uploader, previous: ChangeCache.load(stateDirectory: configuration.stateDirectory, parent: parent),
                chunking: .default, progress: ProgressReporter(channel: channel, jobID: command.jobID).report)
            let root: ChunkID
            do {
                root = try await archive(with: &archiver)
            } catch {
                inventoryTask.cancel()
                throw error
            }
            let inventory = try await inventoryTask.value
            try await uploader.flush()
            var stats = archiver.stats
            stats.bytesSent = uploader.bytesSent
            stats.chunksSent = uploader.objectsSent
            try await channel.send(
                    .backupComplete(
                        .with {
                            $0.jobID = command.jobID
                            $0.snapshotID = command.snapshotID
                            $0.rootTree = Data(root.bytes)
                            $0.stats = stats
                            $0.pathErrors = archiver.pathErrors.map { error in
                                .with {
                                    $0.path = error.path
                                    $0.message = error.message
                                }
                            }
                            $0.inventory = inventory.map { document in
                                .with {
                                    $0.kind = document.kind
                                    $0.json = Data(document.json)
                                }
                            }
                            $0.startedUnixMillis = started
                            $0.finishedUnixMillis = Clock.unixMillis()
                        }))
            _ = try await channel.nextAnswer { body -> Bool? in
                if case .backupCommitted = body { return true }
                return nil
            }
            var cache = archiver.next
            cache.root = root
            do {
                try cache.save(stateDirectory: configuration.stateDirectory)
            } catch {
                logger.warning("cannot save the change cache (the next backup reads every file): \(error)")
            }
            logger.info(
                "backup committed",
                metadata: ["snapshot": "\(command.snapshotID)", "files": "\(stats.files)", "sent": "\(stats.bytesSent)"])
            if let hook = configuration.hooks.postBackup {
                do {
                    try await HookRunner.run(hook, name: "post_backup")
                } catch {
                    logger.error("\(error)")
                }
            }
        } catch {
            let keepError = error as? KeepError ?? KeepError(.internalError, "\(error)", context: configuration.hostID)
            logger.error("backup failed: \(keepError)")
            try? await channel.send(
                .backupFailed(
                    .with {
                        $0.jobID = command.jobID
                        $0.snapshotID = command.snapshotID
                        $0.error = Keep_V1_Error(keepError)
                    }))
        }
    }

    /// Runs the collectors on a thread that may block (they wait for dpkg-query, systemctl…).
    private static func collectInventory(_ configuration: InventoryConfiguration) async throws -> [(kind: String, json: [UInt8])] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try InventoryCollector.collectAll(configuration) })
            }
        }
    }

    /// Walks every source and config path and returns the id of the snapshot's root tree, which mirrors
    /// the absolute paths (`/etc`, `/srv/data` …) so a snapshot browses like the host.
    private func archive(with archiver: inout Archiver) async throws -> ChunkID {
        var roots = SnapshotRoot()
        let specs = configuration.sources.map {
            SourceSpec(path: $0.path, include: $0.include, exclude: $0.exclude, oneFileSystem: $0.oneFileSystem)
        } + configuration.configPaths.map { SourceSpec(path: $0) }
        var hardLinkGroups: UInt64 = 0
        for spec in specs {
            var walker = FileSystemWalker(source: spec, hardLinkGroupBase: hardLinkGroups)
            defer { hardLinkGroups = walker.lastHardLinkGroup }
            do {
                guard let entry = try await walker.walk(visitor: &archiver) else { continue }
                roots.add(entry, at: spec.path)
            } catch let error as KeepError {
                archiver.pathErrors.append(PathError(path: spec.path, message: error.reason))
            }
        }
        return try await roots.store(using: archiver.uploader)
    }
}

/// Sends BackupProgress at most once a second.
final class ProgressReporter {
    private let channel: CommandChannel
    private let jobID: String
    private var last = ContinuousClock.now

    init(channel: CommandChannel, jobID: String) {
        self.channel = channel
        self.jobID = jobID
    }

    func report(_ stats: Keep_V1_BackupStats, _ path: String) async {
        await report(files: stats.files, bytes: stats.bytesTotal, path: path)
    }

    func report(files: UInt64, bytes: UInt64, path: String) async {
        let now = ContinuousClock.now
        guard now - last >= .seconds(1) else { return }
        last = now
        try? await channel.send(
            .backupProgress(
                .with {
                    $0.jobID = jobID
                    $0.filesDone = files
                    $0.bytesDone = bytes
                    $0.currentPath = path
                }))
    }
}
