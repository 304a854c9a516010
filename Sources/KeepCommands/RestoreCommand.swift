import ArgumentParser
import Foundation
import KeepCore
import KeepProtocol

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a host's snapshot, or some paths of it, in place or to another directory.",
        discussion: """
            The agent pulls the data from the controller, checks every object against its id, writes each file
            under a temporary name and renames it into place, and restores type, mode, owner, times, links and
            extended attributes. Every path stays inside the target: hostile names and symlinks pointing out of
            it are refused.

            Examples:
              keepctl restore --host web-01 --set set-20261121T202412-3fa9c1 --to /srv/restore
              keepctl restore --host web-01 --snapshot snap-20261121T202412-77aa01 --path /etc/nginx --in-place
              keepctl restore --host web-01 --snapshot snap-20261121T202412-77aa01 --to /tmp/web-01 --to-host web-02
              keepctl restore --host web-01 --set set-20261121T202412-3fa9c1 --in-place --dry-run
            """)

    @Option(help: "The host whose backup is restored.") var host: String
    @Option(help: "The snapshot to restore.") var snapshot: String?
    @Option(help: "Restore the host's snapshot in this backup set.") var set: String?
    @Option(name: .customLong("path"), help: "An absolute path inside the snapshot (repeatable); default: everything.")
    var paths: [String] = []
    @Option(help: "Restore below this directory of the receiving host.") var to: String?
    @Flag(help: "Restore over the original paths.") var inPlace = false
    @Option(help: "Restore onto another host's agent.") var toHost: String?
    @Flag(help: "Show what would be written; write nothing.") var dryRun = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (snapshot == nil) != (set == nil) else { throw ValidationError("name exactly one of --snapshot and --set") }
        guard (to == nil) != !inPlace else { throw ValidationError("choose exactly one of --to DIR and --in-place") }
        if let to, !to.hasPrefix("/") { throw ValidationError("--to needs an absolute path") }
        for path in paths where !path.hasPrefix("/") { throw ValidationError("--path needs absolute paths, got \(path)") }
    }

    func run() async throws {
        let request = Keep_V1_RestoreRequest.with {
            $0.host = host
            $0.snapshotID = snapshot ?? ""
            $0.setID = set ?? ""
            $0.paths = paths
            $0.targetDirectory = to ?? ""
            $0.inPlace = inPlace
            $0.toHost = toHost ?? ""
            $0.dryRun = dryRun
        }
        let progress = ProgressDisplay(enabled: Console.isTerminal && !output.json)
        let result = try await Operation.run(connection) { session -> Keep_V1_RestoreResult in
            for try await envelope in session.stream(.restoreRequest(request), isLast: { $0.body.isRestoreResult }) {
                switch envelope.body {
                case .jobEvent(let event) where !output.json: progress.show(event)
                case .restoreResult(let result): return result
                default: break
                }
            }
            throw KeepError(.unavailable, "the controller ended the restore without a result")
        }
        progress.finish()
        let summary = result.summary
        if output.json {
            // Scripts see per-path failures in the exit status too, not only in the document.
            try Console.json(result)
            if !summary.errors.isEmpty { throw ExitCode(1) }
            return
        }
        if result.dryRun {
            print("dry run: nothing was written. \(summary.wouldWrite.count) paths would be written:")
            for path in summary.wouldWrite { print("  \(path)") }
        } else {
            print(
                "restored \(summary.files) files, \(summary.directories) directories, \(summary.symlinks) symlinks, "
                    + "\(summary.others) others, \(Console.bytes(summary.bytes)) on \(result.hostID) from \(result.snapshotID)")
        }
        if !summary.errors.isEmpty {
            print("\(summary.errors.count) paths could not be restored:")
            for error in summary.errors { print("  \(error.path): \(error.message)") }
            throw ExitCode(1)
        }
    }
}

extension Optional where Wrapped == Keep_V1_Envelope.OneOf_Body {
    var isRestoreResult: Bool {
        if case .restoreResult = self { return true }
        return false
    }

    var isRollbackResult: Bool {
        if case .rollbackResult = self { return true }
        return false
    }
}
