import Foundation
import KeepCore
import KeepProtocol
import Logging

/// One restore commanded by the controller (started by an operator's `keepctl restore`): pulls the
/// snapshot's objects, writes them below the target and reports a summary with per-path errors.
struct RestoreRun {
    let configuration: AgentConfiguration
    let channel: CommandChannel
    let command: Keep_V1_RestoreCommand
    let logger: Logger

    func run() async {
        logger.info(
            "restore requested by \(command.requestedBy)",
            metadata: [
                "job": "\(command.jobID)", "snapshot": "\(command.snapshotID)", "from": "\(command.sourceHost)",
                "target": "\(command.targetDirectory)", "dry-run": "\(command.dryRun)",
            ])
        do {
            guard let root = ChunkID(bytes: command.rootTree) else {
                throw KeepError(.protocolViolation, "the restore command names no root tree")
            }
            if !command.dryRun && !FileManager.default.fileExists(atPath: command.targetDirectory) {
                // An alternate target is created (private to root until the restored metadata applies below it).
                try FileManager.default.createDirectory(
                    atPath: command.targetDirectory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            }
            let source = RemoteObjectSource(channel: channel)
            if !command.dryRun && command.paths.allSatisfy({ $0 == "/" }) {
                // A whole snapshot: fetch its trees in batches and read its data ahead of the writer.
                try await source.prepare(root: root)
            }
            let restorer = Restorer(source: source, options: RestoreOptions(dryRun: command.dryRun, concurrency: 1))
            let summary = try await restorer.restore(snapshot: root, paths: command.paths, to: command.targetDirectory)
            logger.info(
                "restore finished",
                metadata: ["files": "\(summary.files)", "bytes": "\(summary.bytes)", "errors": "\(summary.errors.count)"])
            try await channel.send(
                .restoreComplete(
                    .with {
                        $0.jobID = command.jobID
                        $0.summary = summary.wire
                    }))
        } catch {
            let keepError = error as? KeepError ?? KeepError(.internalError, "\(error)", context: configuration.hostID)
            logger.error("restore failed: \(keepError)")
            try? await channel.session.send(.error(keepError, requestID: channel.requestID))
        }
    }
}

extension RestoreSummary {
    var wire: Keep_V1_RestoreSummary {
        .with {
            $0.files = UInt64(files)
            $0.directories = UInt64(directories)
            $0.symlinks = UInt64(symlinks)
            $0.others = UInt64(others)
            $0.bytes = bytes
            $0.errors = errors.map { error in
                .with {
                    $0.path = error.path
                    $0.message = error.message
                }
            }
            $0.wouldWrite = Array(wouldWrite.prefix(1000))
        }
    }
}
