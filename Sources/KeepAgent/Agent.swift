import Foundation
import KeepCore
import KeepCrypto
import KeepProtocol
import KeepTransport
import Logging

/// A running keep-agent: dials out to the controller (servers never listen), keeps the session up
/// with exponential backoff and jitter between attempts, and runs the controller's commands.
public struct Agent: Sendable {
    public let configuration: AgentConfiguration
    private let logger: Logger

    public init(configuration: AgentConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until the task is cancelled.
    public func run() async throws {
        guard let endpoint = configuration.controllerEndpoint else {
            throw KeepError(.configuration, "controller must be HOST:PORT", context: configuration.controller)
        }
        let tls = try TLSContext.client(
            certificateChain: configuration.tls.certificate, privateKey: configuration.tls.key,
            trustedCA: configuration.tls.ca, serverName: configuration.tls.serverName ?? endpoint.host)
        var backoff = Backoff()
        while !Task.isCancelled {
            do {
                let session = try await ClientSession.open(
                    host: endpoint.host, port: endpoint.port, tls: tls,
                    configuration: .init(
                        role: .agent, hostID: configuration.hostID, pool: configuration.pool,
                        softwareVersion: "keep-agent \(KeepVersion.current)", capabilities: ["backup", "inventory", "zstd"]))
                logger.info(
                    "connected to controller \(session.welcome.controllerName) at \(endpoint.host):\(endpoint.port)",
                    metadata: ["session": "\(session.welcome.sessionID)"])
                backoff.reset()
                let reason = await withTaskCancellationHandler {
                    await CommandLoop(configuration: configuration, session: session, logger: logger).run()
                } onCancel: {
                    Task { await session.close() }
                }
                if Task.isCancelled { break }
                logger.warning("disconnected from the controller: \(reason.map { "\($0)" } ?? "closed")")
            } catch {
                logger.error("cannot connect to the controller: \(error)")
            }
            let delay = backoff.next()
            logger.info("reconnecting in \(String(format: "%.1f", delay)) s")
            try? await Task.sleep(for: .seconds(delay))
        }
    }
}

/// Exponential backoff with full jitter: 0.5 s doubling up to 60 s, each wait drawn uniformly from
/// [cap/2, cap] so a fleet restarted at once does not reconnect in lockstep.
struct Backoff {
    var attempt = 0
    var base = 0.5
    var maximum = 60.0

    mutating func next() -> Double {
        let cap = min(maximum, base * pow(2, Double(attempt)))
        attempt = min(attempt + 1, 16)
        return Double.random(in: cap / 2...cap)
    }

    mutating func reset() { attempt = 0 }
}
