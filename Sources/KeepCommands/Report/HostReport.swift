import Foundation
import KeepCore

/// One host of a `PoolReport`: its snapshot and the inventory documents taken with it. A document is
/// `nil` when the agent did not send it or it could not be read; `problems` then says why, so a
/// report never silently leaves a host out.
public struct HostReport: Sendable, Hashable {
    public var hostID: String
    public var snapshot: SnapshotSummary?
    public var system: SystemInventory?
    public var users: UsersInventory?
    public var packages: PackagesInventory?
    public var services: ServicesInventory?
    /// Sentences for the reader: a failed snapshot, a missing or unreadable document, a partial list.
    public var problems: [String]

    public init(
        hostID: String, snapshot: SnapshotSummary?, system: SystemInventory?, users: UsersInventory?,
        packages: PackagesInventory?, services: ServicesInventory?, problems: [String]
    ) {
        self.hostID = hostID
        self.snapshot = snapshot
        self.system = system
        self.users = users
        self.packages = packages
        self.services = services
        self.problems = problems
    }

    /// The OS's pretty name, or "unknown".
    public var operatingSystem: String {
        guard let release = system?.osRelease else { return "unknown" }
        if !release.prettyName.isEmpty { return release.prettyName }
        let name = "\(release.id) \(release.versionId)".trimmingCharacters(in: .whitespaces)
        return name.isEmpty ? "unknown" : name
    }

    /// Human and application accounts, sorted by name: the people and programs homed on the host.
    public var accounts: [UsersInventory.Account] {
        (users?.accounts ?? []).filter { $0.kind != .system }.sorted { $0.name < $1.name }
    }

    /// Accounts of the OS and its daemons.
    public var systemAccounts: [UsersInventory.Account] {
        (users?.accounts ?? []).filter { $0.kind == .system }.sorted { $0.name < $1.name }
    }

    /// Units that are active or enabled: what the host runs or starts at boot.
    public var relevantServices: [ServicesInventory.Unit] {
        (services?.units ?? []).filter { $0.active == "active" || $0.enabled == "enabled" }
            .sorted { $0.name < $1.name }
    }
}
