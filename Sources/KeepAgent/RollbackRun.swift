import Foundation
import KeepCore
import KeepProtocol
import Logging

/// One phase of a coordinated rollback, commanded by the controller.
///
/// The paths a rollback covers are the sources and configuration paths this agent backs up. A
/// prepared rollback is remembered in the state directory (`rollback-<job>.json`), so the commit or
/// abort that follows finds it even after an agent restart.
struct RollbackRun {
    let configuration: AgentConfiguration
    let channel: CommandChannel
    let command: Keep_V1_RollbackCommand
    let logger: Logger

    func run() async {
        logger.info(
            "rollback \(command.phase.name) requested by \(command.requestedBy)",
            metadata: ["job": "\(command.jobID)", "snapshot": "\(command.snapshotID)"])
        do {
            guard let root = ChunkID(bytes: command.rootTree) else {
                throw KeepError(.protocolViolation, "the rollback command names no root tree")
            }
            let stager = RollbackStager(source: RemoteObjectSource(channel: channel))
            var status = Keep_V1_RollbackStatus.with {
                $0.jobID = command.jobID
                $0.phase = command.phase
            }
            switch command.phase {
            case .rollbackPlan:
                status.plan = try await stager.plan(root: root, paths: coveredPaths).wire
            case .rollbackPrepare:
                let plan = try await stager.plan(root: root, paths: coveredPaths)
                status.plan = plan.wire
                let staged = try await stager.prepare(plan, jobID: command.jobID)
                logger.info(
                    "rollback staged", metadata: ["actions": "\(staged.actionCount)", "staging": "\(staged.stagingDirectories)"])
                do {
                    try remember(staged)
                    if let hook = configuration.hooks.preRollback { try await HookRunner.run(hook, name: "pre_rollback") }
                } catch {
                    try? stager.abort(staged)
                    forget()
                    throw error
                }
            case .rollbackCommit:
                let staged = try recall()
                let result = try commit(staged, with: stager)
                logger.info(
                    "rollback commit applied",
                    metadata: [
                        "moved": "\(result.moved)", "removed": "\(result.removed)", "metadata": "\(result.metadataApplied)",
                        "staging": "\(staged.stagingDirectories.joined(separator: ","))",
                    ])
                guard result.errors.isEmpty else {
                    throw KeepError(
                        .io, "\(result.errors.count) paths could not be rolled back: "
                            + result.errors.prefix(5).map(\.description).joined(separator: "; "),
                        context: configuration.hostID, hint: "fix them, then keepctl rollback --resume \(command.jobID)")
                }
                // The record stays until the post-rollback hook succeeded, so a failed hook can be retried
                // with --resume (the commit itself is idempotent).
                if let hook = configuration.hooks.postRollback { try await HookRunner.run(hook, name: "post_rollback") }
                forget()
            case .rollbackAbort:
                if let staged = try? recall() { try stager.abort(staged) }
                forget()
                if let hook = configuration.hooks.rollbackAborted { try await HookRunner.run(hook, name: "rollback_aborted") }
            default:
                throw KeepError(.protocolViolation, "unknown rollback phase \(command.phase.rawValue)")
            }
            logger.info("rollback \(command.phase.name) done", metadata: ["job": "\(command.jobID)"])
            try await channel.send(.rollbackStatus(status))
        } catch {
            let keepError = error as? KeepError ?? KeepError(.internalError, "\(error)", context: configuration.hostID)
            logger.error("rollback \(command.phase.name) failed: \(keepError)")
            try? await channel.session.send(.error(keepError, requestID: channel.requestID))
        }
    }

    /// Commits, or — only when the test-only `KEEP_TEST_CRASH_COMMIT_AFTER=N` is set in the agent's
    /// environment — applies N live changes and then ends the process at once, as a crash in the middle
    /// of a commit would: the integration tests use it to check `keepctl rollback --resume`.
    private func commit(_ staged: StagedRollback, with stager: RollbackStager) throws -> RollbackResult {
        guard let limit = ProcessInfo.processInfo.environment["KEEP_TEST_CRASH_COMMIT_AFTER"].flatMap(Int.init) else {
            return try stager.commit(staged)
        }
        do {
            return try stager.commit(staged, stoppingAfter: limit)
        } catch is SimulatedCrash {
            logger.critical("KEEP_TEST_CRASH_COMMIT_AFTER=\(limit): ending the agent in the middle of a commit")
            _exit(70)
        }
    }

    /// The absolute paths this host backs up.
    private var coveredPaths: [String] {
        configuration.sources.map(\.path) + configuration.configPaths
    }

    private var manifestPath: String {
        configuration.stateDirectory + "/rollback-\(command.jobID).json"
    }

    private func remember(_ staged: StagedRollback) throws {
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        try JSONEncoder().encode(staged).write(to: URL(fileURLWithPath: manifestPath), options: .atomic)
    }

    private func recall() throws -> StagedRollback {
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw KeepError(
                .notFound, "rollback \(command.jobID) was not prepared on \(configuration.hostID)",
                hint: "run the rollback again from the start")
        }
        return try JSONDecoder().decode(StagedRollback.self, from: data)
    }

    private func forget() {
        try? FileManager.default.removeItem(atPath: manifestPath)
    }
}

extension Keep_V1_RollbackPhase {
    var name: String {
        switch self {
        case .rollbackPlan: "plan"
        case .rollbackPrepare: "prepare"
        case .rollbackCommit: "commit"
        case .rollbackAbort: "abort"
        default: "unknown"
        }
    }
}

extension RollbackPlan {
    var wire: Keep_V1_RollbackPlan {
        .with {
            $0.filesAdded = UInt64(count(.add))
            $0.filesReplaced = UInt64(count(.replace) + count(.typeChange))
            $0.filesRemoved = UInt64(count(.remove))
            $0.metadataChanged = UInt64(count(.metadata))
            $0.bytesToWrite = bytesToWrite
            $0.sample = changes.prefix(200).map { change in
                let mark =
                    switch change.action {
                    case .add: "+"
                    case .replace, .typeChange: "~"
                    case .remove: "-"
                    case .metadata: "m"
                    }
                return "\(mark) \(change.displayPath)"
            }
        }
    }
}
