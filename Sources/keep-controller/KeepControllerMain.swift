import ArgumentParser
import KeepController
import KeepCore
import KeepTransport
import Logging
import Metrics
import Prometheus

@main
struct KeepControllerMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keep-controller",
        abstract: "The Keep controller: accepts agents and operators, catalogs and stores backups.",
        version: KeepVersion.current)

    @Option(help: "Path of controller.yaml.") var config: String
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: Logger.Level = .info
    @Option(help: "text (for people) or json (one object per line, for log shippers).") var logFormat: LogFormat = .text

    func run() async throws {
        MemoryTuning.apply(for: .controller)
        logFormat.bootstrap(level: logLevel)
        let logger = Logger(label: "keep-controller")
        do {
            let configuration = try ControllerConfiguration.load(path: config)
            var exposition: @Sendable () -> [UInt8] = { [] }
            if configuration.metrics != nil {
                // Once per process, before the controller makes its first metric.
                let registry = PrometheusCollectorRegistry()
                MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
                exposition = { registry.emitToBuffer() }
            }
            let controller = Controller(configuration: configuration, logger: logger, metricsExposition: exposition)
            try await ProcessLifecycle.runUntilTerminated { try await controller.run() }
        } catch let error as KeepError {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
