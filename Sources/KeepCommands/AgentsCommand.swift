import ArgumentParser
import KeepCore

struct AgentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "List the fleet as the controller sees it.",
        discussion: """
            Examples:
              keepctl agents
              keepctl agents --pool fe-01 --json
            """)

    @Option(help: "Only agents of this pool.") var pool: String?
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let response = try await Operation.run(connection) { session in
            try await session.request(.listAgentsRequest(.with { $0.pool = pool ?? "" })).listAgentsResponse
        }
        if output.json { return try Console.json(response) }
        Console.table(
            ["HOST", "POOL", "STATUS", "VERSION", "ADDRESS"],
            response.agents.map { agent in
                [
                    agent.hostID, agent.pool, agent.connected ? "connected" : "offline (last seen \(Console.ago(agent.lastSeen)))",
                    agent.softwareVersion, agent.remoteAddress,
                ]
            })
    }
}
