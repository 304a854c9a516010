import ArgumentParser
import Foundation
import KeepCore
import KeepProtocol

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Roll a whole pool back to a backup set: every host, or none.",
        discussion: """
            1. plan: each agent compares the set with its live files (--dry-run stops here, changing nothing);
            2. safety: a new backup set of the same hosts is taken, so the rollback can be undone;
            3. prepare: each agent fetches, verifies and stages the data next to its targets, runs its
               pre_rollback hook (e.g. stop the service) and reports ready;
            4. commit: only when every host is ready, each agent moves the staged files into place, removes
               files absent from the set and runs its post_rollback hook.
            If any host fails to prepare, no host commits. If a host fails during commit, finish with
            --resume JOB; undo the whole rollback by rolling back to the safety set.

            Examples:
              keepctl rollback --pool fe-01 --to set-20261121T202412-3fa9c1 --dry-run
              keepctl rollback --pool fe-01 --to set-20261121T202412-3fa9c1 --yes
              keepctl rollback --pool fe-01 --to set-20261121T202412-3fa9c1 --hosts web-01,web-02 --yes
              keepctl rollback --resume job-20261121T203000-aa12bc --yes
            """)

    @Option(help: "The pool to roll back.") var pool: String?
    @Option(help: "The backup set to return to.") var to: String?
    @Option(help: "Only these hosts of the pool (comma-separated).") var hosts: String?
    @Flag(help: "Show each host's plan; change nothing.") var dryRun = false
    @Option(help: "Finish an interrupted rollback job.") var resume: String?
    @Flag(help: "Do not ask for confirmation.") var yes = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if resume == nil {
            guard pool != nil, to != nil else { throw ValidationError("--pool and --to are required (or --resume JOB)") }
        }
        guard dryRun || yes || Console.isTerminal else {
            throw ValidationError("a rollback changes files on every host of the pool: confirm with --yes")
        }
    }

    func run() async throws {
        if !dryRun && !yes {
            print("Roll back \(resume.map { "job \($0)" } ?? "pool \(pool ?? "") to \(to ?? "")")? This changes live files. [y/N] ", terminator: "")
            guard readLine()?.lowercased().hasPrefix("y") == true else { throw ExitCode(1) }
        }
        let request = Keep_V1_RollbackRequest.with {
            $0.pool = pool ?? ""
            $0.setID = to ?? ""
            $0.hosts = hosts.map { $0.split(separator: ",").map(String.init) } ?? []
            $0.dryRun = dryRun
            $0.resumeJobID = resume ?? ""
        }
        let progress = ProgressDisplay(enabled: Console.isTerminal && !output.json)
        let result = try await Operation.run(connection) { session -> Keep_V1_RollbackResult in
            for try await envelope in session.stream(.rollbackRequest(request), isLast: { $0.body.isRollbackResult }) {
                switch envelope.body {
                case .jobEvent(let event) where !output.json: progress.show(event)
                case .rollbackResult(let result): return result
                default: break
                }
            }
            throw KeepError(.unavailable, "the controller ended the rollback without a result")
        }
        progress.finish()
        if output.json {
            try Console.json(result)
        } else {
            print(result.dryRun ? "rollback plan (dry run, nothing changed), job \(result.jobID):" : "rollback job \(result.jobID):")
            Console.table(
                ["HOST", "STATE", "ADD", "REPLACE", "REMOVE", "METADATA", "TO WRITE", "ERROR"],
                result.hosts.map { host in
                    [
                        host.hostID, host.state, String(host.plan.filesAdded), String(host.plan.filesReplaced),
                        String(host.plan.filesRemoved), String(host.plan.metadataChanged), Console.bytes(host.plan.bytesToWrite),
                        host.hasError ? KeepError(host.error).description : "",
                    ]
                })
            if result.dryRun {
                for host in result.hosts where !host.plan.sample.isEmpty {
                    print("\n\(host.hostID):")
                    for line in host.plan.sample { print("  \(line)") }
                }
            }
            if !result.safetySetID.isEmpty {
                print("\nsafety set: \(result.safetySetID) (undo with keepctl rollback --pool \(pool ?? "POOL") --to \(result.safetySetID))")
            }
            if !result.dryRun && !result.committed && result.hosts.contains(where: { $0.state == "committed" }) {
                print("not every host committed: finish with keepctl rollback --resume \(result.jobID)")
            }
        }
        if !result.dryRun && !result.committed { throw ExitCode(1) }
    }
}
