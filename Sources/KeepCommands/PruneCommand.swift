import ArgumentParser
import KeepCore

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Forget old backup sets and free the storage nothing else uses.",
        discussion: """
            Sets are forgotten explicitly (--set) or by keeping only the newest N complete sets of each scope
            (a pool, a host, the fleet, a rollback's safety copy). Storage is freed only for objects that no
            remaining complete snapshot references. A prune is refused while a job runs.

            Examples:
              keepctl prune --keep-last 7 --dry-run
              keepctl prune --keep-last 3 --pool fe-01
              keepctl prune --set set-20261121T202412-3fa9c1
            """)

    @Option(name: .customLong("set"), help: "Forget this set (repeatable).") var sets: [String] = []
    @Option(help: "Keep only the newest N complete sets of each scope.") var keepLast: UInt32?
    @Option(help: "With --keep-last: only this pool's sets.") var pool: String?
    @Flag(help: "Show what would be forgotten and freed; change nothing.") var dryRun = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !sets.isEmpty || keepLast != nil else { throw ValidationError("name --set SET or --keep-last N") }
        if keepLast == 0 { throw ValidationError("--keep-last must be at least 1") }
        if pool != nil && keepLast == nil { throw ValidationError("--pool goes with --keep-last") }
    }

    func run() async throws {
        let response = try await Operation.run(connection) { session in
            try await session.request(
                .pruneRequest(
                    .with {
                        $0.setIds = sets
                        $0.keepLast = keepLast ?? 0
                        $0.pool = pool ?? ""
                        $0.dryRun = dryRun
                    })
            ).pruneResponse
        }
        if output.json { return try Console.json(response) }
        let verb = response.dryRun ? "would forget" : "forgot"
        print("\(verb) \(response.setsForgotten.count) sets (\(response.snapshotsForgotten) snapshots)")
        for set in response.setsForgotten { print("  \(set)") }
        print(
            "\(response.dryRun ? "would remove" : "removed") \(response.objectsRemoved) objects: "
                + "\(response.packsDeleted) packs deleted, \(response.packsRewritten) rewritten, "
                + "\(Console.bytes(response.bytesFreed)) freed")
    }
}
