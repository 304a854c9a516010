import ArgumentParser
import KeepCore

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List jobs, or show one job's audit log and, for a rollback, each host's state.",
        discussion: """
            Examples:
              keepctl jobs
              keepctl jobs --kind rollback
              keepctl jobs job-20261121T203000-aa12bc
            """)

    @Argument(help: "A job id: show its audit log.") var job: String?
    @Option(help: "Only jobs of this kind (backup, restore, rollback, prune…).") var kind: String?
    @Option(help: "At most this many jobs.") var limit: UInt32 = 50
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        if let job {
            let detail = try await Operation.run(connection) { session in
                try await session.request(.jobDetailRequest(.with { $0.jobID = job })).jobDetailResponse
            }
            if output.json { return try Console.json(detail) }
            let info = detail.job
            print("\(info.jobID): \(info.kind) of \(info.scope) by \(info.requestedBy), \(info.status)")
            print("started \(Console.time(info.created)), finished \(Console.time(info.finished))\n")
            if !detail.hosts.isEmpty {
                Console.table(["HOST", "STATE", "SNAPSHOT"], detail.hosts.map { [$0.hostID, $0.state, $0.snapshotID] })
                print("")
            }
            Console.table(
                ["TIME", "HOST", "EVENT", "MESSAGE"],
                detail.events.map { [Console.time($0.at), $0.hostID.isEmpty ? "-" : $0.hostID, $0.kind, $0.message] })
            return
        }
        let response = try await Operation.run(connection) { session in
            try await session.request(
                .listJobsRequest(
                    .with {
                        $0.kind = kind ?? ""
                        $0.limit = limit
                    })
            ).listJobsResponse
        }
        if output.json { return try Console.json(response) }
        Console.table(
            ["JOB", "KIND", "SCOPE", "BY", "STARTED", "STATUS"],
            response.jobs.map { [$0.jobID, $0.kind, $0.scope, $0.requestedBy, Console.time($0.created), $0.status] })
    }
}
