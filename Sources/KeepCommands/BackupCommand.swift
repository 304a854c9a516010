import ArgumentParser
import Foundation
import KeepCore
import KeepProtocol

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up a pool, one host or the whole fleet as one backup set.",
        discussion: """
            Every agent in the scope is backed up in parallel. Offline agents are listed, never skipped
            silently, and make the command exit with status 1, as does any failed host.

            Examples:
              keepctl backup --pool fe-01 --label before-upgrade
              keepctl backup --host web-03
              keepctl backup --all --json
            """)

    @Option(help: "Back up every agent of this pool.") var pool: String?
    @Option(help: "Back up one agent.") var host: String?
    @Flag(help: "Back up every known agent.") var all = false
    @Option(help: "A label for the backup set, e.g. before-upgrade.") var label: String = ""
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard [pool != nil, host != nil, all].filter({ $0 }).count == 1 else {
            throw ValidationError("choose exactly one of --pool, --host and --all")
        }
    }

    func run() async throws {
        let request = Keep_V1_StartBackupRequest.with {
            if let pool { $0.pool = pool }
            if let host { $0.host = host }
            if all { $0.all = true }
            $0.label = label
        }
        let progress = ProgressDisplay(enabled: Console.isTerminal && !output.json)
        let result = try await Operation.run(connection) { session -> Keep_V1_JobResult in
            let responses = session.stream(.startBackupRequest(request)) { envelope in
                if case .jobResult = envelope.body { return true }
                return false
            }
            for try await envelope in responses {
                switch envelope.body {
                case .jobEvent(let event) where !output.json: progress.show(event)
                case .jobResult(let result): return result
                default: break
                }
            }
            throw KeepError(.unavailable, "the controller ended the job without a result", hint: "check keepctl sets")
        }
        progress.finish()
        if output.json {
            try Console.json(result)
        } else {
            print("backup set \(result.setID) (job \(result.jobID))")
            Console.table(
                ["HOST", "POOL", "STATUS", "SNAPSHOT", "FILES", "READ", "SENT", "NEW", "ERROR"],
                result.hosts.map { host in
                    [
                        host.hostID, host.pool, host.status.label, host.snapshotID.isEmpty || host.status != .ok ? "-" : host.snapshotID,
                        String(host.files), Console.bytes(host.bytesRead), Console.bytes(host.bytesSent),
                        Console.bytes(host.bytesNewStored), host.hasError ? KeepError(host.error).description : "",
                    ]
                })
        }
        if result.hosts.contains(where: { $0.status != .ok }) { throw ExitCode(1) }
    }
}

extension Keep_V1_HostStatus {
    var label: String {
        switch self {
        case .ok: "ok"
        case .failed: "FAILED"
        case .offline: "OFFLINE"
        default: "unknown"
        }
    }
}

/// Live per-host progress: one status line per event on a terminal (rewritten in place for progress),
/// plain lines otherwise.
final class ProgressDisplay: @unchecked Sendable {
    private let enabled: Bool
    private var lastWasProgress = false
    private var started: [String: Date] = [:]

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ event: Keep_V1_JobEvent) {
        switch event.kind {
        case .hostProgress:
            guard enabled else { return }
            let elapsed = Date().timeIntervalSince(started[event.hostID] ?? Date())
            let rate = elapsed > 0 ? Double(event.bytesDone) / elapsed : 0
            var line = "\(event.hostID): \(event.filesDone) files, \(Console.bytes(event.bytesDone))"
            line += ", \(Console.bytes(UInt64(rate)))/s"
            if event.bytesTotalEstimate > event.bytesDone, rate > 0 {
                line += ", ETA \(Int(Double(event.bytesTotalEstimate - event.bytesDone) / rate)) s"
            }
            FileHandle.standardOutput.write(Data("\r\u{1b}[K\(line)".utf8))
            lastWasProgress = true
        default:
            if event.kind == .hostStarted { started[event.hostID] = Date() }
            if lastWasProgress { FileHandle.standardOutput.write(Data("\r\u{1b}[K".utf8)) }
            lastWasProgress = false
            print(event.message)
        }
    }

    func finish() {
        if lastWasProgress { FileHandle.standardOutput.write(Data("\r\u{1b}[K".utf8)) }
    }
}
