import ArgumentParser
import KeepCore

struct SetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sets",
        abstract: "List backup sets, newest first.",
        discussion: """
            Examples:
              keepctl sets
              keepctl sets --pool fe-01 --json
            """)

    @Option(help: "Only sets holding a snapshot of this pool.") var pool: String?
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let response = try await Operation.run(connection) { session in
            try await session.request(.listSetsRequest(.with { $0.pool = pool ?? "" })).listSetsResponse
        }
        if output.json { return try Console.json(response) }
        Console.table(
            ["SET", "CREATED", "POOL", "STATUS", "HOSTS", "OK", "FAILED", "SIZE", "LABEL"],
            response.sets.map { set in
                [
                    set.setID, Console.time(set.created), set.pool.isEmpty ? "-" : set.pool, set.status, String(set.hosts),
                    String(set.snapshotsOk), String(set.snapshotsFailed), Console.bytes(set.bytesTotal), set.label,
                ]
            })
    }
}
