import ArgumentParser
import KeepCore

struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "List snapshots, newest first.",
        discussion: """
            Examples:
              keepctl snapshots --pool fe-01
              keepctl snapshots --host web-01
              keepctl snapshots --set set-20261121T202412-3fa9c1 --json
            """)

    @Option(help: "Only snapshots of this host.") var host: String?
    @Option(help: "Only snapshots of this pool.") var pool: String?
    @Option(help: "Only snapshots of this backup set.") var set: String?
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let response = try await Operation.run(connection) { session in
            try await session.request(
                .listSnapshotsRequest(
                    .with {
                        $0.host = host ?? ""
                        $0.pool = pool ?? ""
                        $0.setID = set ?? ""
                    })
            ).listSnapshotsResponse
        }
        if output.json { return try Console.json(response) }
        Console.table(
            ["SNAPSHOT", "HOST", "POOL", "SET", "STATUS", "FINISHED", "FILES", "SIZE", "NEW", "ERROR"],
            response.snapshots.map { snapshot in
                [
                    snapshot.snapshotID, snapshot.hostID, snapshot.pool, snapshot.setID, snapshot.status,
                    Console.time(snapshot.finished), String(snapshot.files), Console.bytes(snapshot.bytesTotal),
                    Console.bytes(snapshot.bytesNew), snapshot.error,
                ]
            })
    }
}
