import ArgumentParser
import KeepController
import KeepCore
import KeepTransport
import Logging

@main
struct KeepControllerMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keep-controller",
        abstract: "The Keep controller: accepts agents and operators, catalogs and stores backups.",
        version: KeepVersion.current)

    @Option(help: "Path of controller.yaml.") var config: String
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: Logger.Level = .info

    func run() async throws {
        MemoryTuning.apply()
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "keep-controller")
        do {
            let controller = Controller(configuration: try ControllerConfiguration.load(path: config), logger: logger)
            try await ProcessLifecycle.runUntilTerminated { try await controller.run() }
        } catch let error as KeepError {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
