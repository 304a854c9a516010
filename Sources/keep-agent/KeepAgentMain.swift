import ArgumentParser
import KeepAgent
import KeepCore
import KeepTransport
import Logging

@main
struct KeepAgentMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keep-agent",
        abstract: "The Keep agent: dials out to the controller and backs this host up on its command.",
        version: KeepVersion.current)

    @Option(help: "Path of agent.yaml.") var config: String
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: Logger.Level = .info
    @Option(help: "text (for people) or json (one object per line, for log shippers).") var logFormat: LogFormat = .text

    func run() async throws {
        MemoryTuning.apply(for: .agent)
        logFormat.bootstrap(level: logLevel)
        let logger = Logger(label: "keep-agent")
        do {
            let agent = Agent(configuration: try AgentConfiguration.load(path: config), logger: logger)
            try await ProcessLifecycle.runUntilTerminated { try await agent.run() }
        } catch let error as KeepError {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
