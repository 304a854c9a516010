import Foundation
import KeepCatalog
import KeepCore
import KeepCrypto
import KeepStore
import KeepTransport
import Logging
import NIOCore
import NIOPosix

/// A running keep-controller: opens (or creates) its catalog, store and repository key, then accepts
/// agents and operators until it is told to stop.
public struct Controller: Sendable {
    public let configuration: ControllerConfiguration
    private let logger: Logger

    public init(configuration: ControllerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until the task is cancelled (SIGTERM/SIGINT in keep-controller).
    public func run() async throws {
        let services = try await openServices()
        let tls = try TLSContext.server(
            certificateChain: configuration.tls.certificate, privateKey: configuration.tls.key,
            trustedCA: configuration.tls.ca, revocationList: configuration.tls.crl, acceptedRoles: [.agent, .operator])
        let server: Listener.Server
        do {
            server = try await Listener.bind(host: configuration.listenAddress, port: configuration.port, tls: tls)
        } catch {
            throw KeepError(
                .unavailable, "cannot listen on \(configuration.listenAddress):\(configuration.port): \(error)",
                hint: "is another controller running? choose another port in the configuration")
        }
        let port = server.channel.localAddress?.port ?? configuration.port
        logger.info("keep-controller \(KeepVersion.current) listening on \(configuration.listenAddress):\(port)")
        if let readyFile = configuration.readyFile {
            try Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: readyFile), options: .atomic)
        }
        let session = PeerSession(services: services)
        try await withTaskCancellationHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await session.serve(connection) }
                    }
                }
            }
        } onCancel: {
            server.channel.close(promise: nil)
        }
        try? await services.store.flush()
        logger.info("keep-controller stopped")
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
        let interrupted = try await catalog.markRunningAsInterrupted(at: Clock.unixSeconds())
        for job in interrupted {
            logger.warning("job \(job) was interrupted by a controller stop; its unfinished snapshots are marked interrupted")
            try await catalog.appendEvent(
                JobEventRecord(jobID: job, at: Clock.unixSeconds(), kind: "job-interrupted", message: "the controller stopped during this job"))
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
            name: configuration.name, catalog: catalog, store: store, registry: AgentRegistry(), logger: logger)
    }
}
