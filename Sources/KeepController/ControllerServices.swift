import KeepCatalog
import Logging

/// The long-lived parts of a running controller, shared by every session.
struct ControllerServices: Sendable {
    let name: String
    let catalog: any Catalog
    let store: ObjectStore
    let registry: AgentRegistry
    let jobs: JobBoard
    let logger: Logger

    var backups: BackupCoordinator {
        BackupCoordinator(catalog: catalog, store: store, registry: registry, jobs: jobs, logger: logger)
    }

    var operators: OperatorService {
        OperatorService(
            catalog: catalog, store: store, registry: registry, backups: backups,
            restores: RestoreCoordinator(catalog: catalog, store: store, registry: registry, jobs: jobs, logger: logger),
            rollbacks: RollbackCoordinator(
                catalog: catalog, store: store, registry: registry, backups: backups, jobs: jobs, logger: logger),
            jobs: jobs, logger: logger)
    }
}

extension Logger {
    func with(metadata: Logger.Metadata) -> Logger {
        var copy = self
        for (key, value) in metadata { copy[metadataKey: key] = value }
        return copy
    }
}
