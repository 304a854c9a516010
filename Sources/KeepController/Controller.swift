import Foundation
import KeepCatalog
import KeepCore
import KeepCrypto
import KeepStore
import KeepTransport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A running keep-controller: opens (or creates) its catalog, store and repository key, then accepts
/// agents and operators until it is told to stop.
public struct Controller: Sendable {
    public let configuration: ControllerConfiguration
    private let logger: Logger
    private let metricsExposition: @Sendable () -> [UInt8]

    /// `metricsExposition` renders every metric in the Prometheus text format for `GET /metrics`
    /// (keep-controller passes its Prometheus registry; the controller itself only uses swift-metrics).
    public init(
        configuration: ControllerConfiguration, logger: Logger,
        metricsExposition: @escaping @Sendable () -> [UInt8] = { [] }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.metricsExposition = metricsExposition
    }

    /// How long a stop waits for sessions to close before it goes on regardless.
    static let sessionGrace: Duration = .seconds(5)

    /// Serves until the task is cancelled (SIGTERM/SIGINT in keep-controller) or the listener fails,
    /// then stops cleanly: no new connections, running jobs recorded as interrupted, sessions closed,
    /// the open pack flushed. With `NOTIFY_SOCKET` set, systemd hears `READY=1` once it listens and
    /// `STOPPING=1` when it stops.
    public func run() async throws {
        let services = try await openServices()
        let tls = try TLSContext.server(
            certificateChain: configuration.tls.certificate, privateKey: configuration.tls.key,
            trustedCA: configuration.tls.ca, revocationList: configuration.tls.crl, acceptedRoles: [.agent, .operator])
        let metrics = try await startMetrics()
        let server: Listener.Server
        do {
            server = try await Listener.bind(host: configuration.listenAddress, port: configuration.port, tls: tls)
        } catch {
            metrics?.close()
            throw KeepError(
                .unavailable, "cannot listen on \(configuration.listenAddress):\(configuration.port): \(error)",
                hint: "is another controller running? choose another port in the configuration")
        }
        let port = server.channel.localAddress?.port ?? configuration.port
        logger.info("keep-controller \(KeepVersion.current) listening on \(configuration.listenAddress):\(port)")
        if let readyFile = configuration.readyFile {
            try Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: readyFile), options: .atomic)
        }
        notifySystemd("READY=1")
        // Unstructured on purpose: cancelling `run` starts the stop sequence, which decides when
        // the sessions end — after the running jobs are recorded as interrupted.
        let (listenerEnded, listenerEndedContinuation) = AsyncStream<Never>.makeStream()
        let serving = Task {
            await Self.accept(server, session: PeerSession(services: services), logger: logger)
            listenerEndedContinuation.finish()
        }
        let scraping = metrics.map { server in Task { await server.serve() } }
        await withTaskCancellationHandler {
            for await _ in listenerEnded {}
        } onCancel: {
            listenerEndedContinuation.finish()
        }
        // The stop writes to the catalog, which a cancelled task could not do reliably.
        await Task {
            await stop(server: server, serving: serving, metrics: metrics, scraping: scraping, services: services)
        }.value
        guard Task.isCancelled else {
            throw KeepError(
                .unavailable, "the listener on \(configuration.listenAddress):\(port) stopped unexpectedly",
                hint: "see the log above; restart keep-controller")
        }
    }

    private static func accept(_ server: Listener.Server, session: PeerSession, logger: Logger) async {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await session.serve(connection) }
                    }
                }
            }
        } catch {
            logger.error("the listener failed: \(error)")
        }
    }

    private func stop(
        server: Listener.Server, serving: Task<Void, Never>, metrics: MetricsServer?, scraping: Task<Void, Never>?,
        services: ControllerServices
    ) async {
        logger.info("stopping: no new connections; running jobs are recorded as interrupted")
        notifySystemd("STOPPING=1")
        server.channel.close(promise: nil)
        do {
            for job in try await services.jobs.markInterrupted(stopping: true) {
                logger.warning("job interrupted by the controller stop", metadata: ["job": "\(job)"])
            }
        } catch {
            logger.error("cannot record the running jobs as interrupted (the next start will): \(error)")
        }
        serving.cancel()
        if await !Self.wait(for: serving, timeout: Self.sessionGrace) {
            logger.warning("some sessions did not end within \(Self.sessionGrace); stopping anyway")
        }
        do {
            try await services.store.flush()
        } catch {
            logger.error("cannot flush the open pack: \(error)")
        }
        metrics?.close()
        if let scraping { _ = await Self.wait(for: scraping, timeout: .seconds(2)) }
        logger.info("keep-controller stopped")
    }

    private func startMetrics() async throws -> MetricsServer? {
        guard let endpoint = configuration.metrics else { return nil }
        ControllerMetrics.registerAll()
        let server: MetricsServer
        do {
            server = try await MetricsServer.bind(
                host: endpoint.listenAddress, port: endpoint.port, exposition: metricsExposition)
        } catch {
            throw KeepError(
                .unavailable, "cannot serve metrics on \(endpoint.listenAddress):\(endpoint.port): \(error)",
                hint: "choose another metrics port in the configuration")
        }
        logger.info("metrics on http://\(endpoint.listenAddress):\(server.port)/metrics")
        if let readyFile = endpoint.readyFile {
            do {
                try Data("\(server.port)\n".utf8).write(to: URL(fileURLWithPath: readyFile), options: .atomic)
            } catch {
                server.close()
                throw KeepError(.io, "cannot write the metrics ready file: \(error)", context: readyFile)
            }
        }
        return server
    }

    private func notifySystemd(_ state: String) {
        do {
            try SystemdNotifier.notify(state)
        } catch {
            logger.warning("\(error)")
        }
    }

    private func openServices() async throws -> ControllerServices {
        let data = configuration.dataDirectory
        do {
            try FileManager.default.createDirectory(
                atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw KeepError(.io, "cannot create the data directory: \(error)", context: data)
        }
        let catalog = try SQLiteCatalog(path: data + "/catalog.sqlite")
        let jobs = JobBoard(catalog: catalog)
        for job in try await jobs.markInterrupted(stopping: false) {
            logger.warning(
                "job was interrupted by a controller stop; its unfinished snapshots are marked interrupted",
                metadata: ["job": "\(job)"])
        }
        let passphrase = try configuration.passphraseFile.map { path in
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw KeepError(.configuration, "cannot read the passphrase file", context: path)
            }
            return Array(String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .newlines).utf8)
        }
        let key = try RepositoryKey.loadOrCreate(at: data + "/repository.key", passphrase: passphrase)
        let store = ObjectStore(catalog: catalog, backend: LocalPackBackend(directory: data), key: key)
        return ControllerServices(
            name: configuration.name, catalog: catalog, store: store, registry: AgentRegistry(), jobs: jobs,
            logger: logger)
    }

    /// Waits for `task` at most `timeout`; true if it ended in time. The task is not cancelled.
    private static func wait(for task: Task<Void, Never>, timeout: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let pending = NIOLockedValueBox<CheckedContinuation<Bool, Never>?>(continuation)
            let resume = { @Sendable (value: Bool) in
                pending.withLockedValue { current in
                    current?.resume(returning: value)
                    current = nil
                }
            }
            Task {
                await task.value
                resume(true)
            }
            Task {
                try? await Task.sleep(for: timeout)
                resume(false)
            }
        }
    }
}
