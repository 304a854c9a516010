import Foundation
import KeepCore
import KeepProtocol

extension PoolReport {
    /// Builds the report from the controller's answers.
    ///
    /// - Parameters:
    ///   - pool: the pool documented.
    ///   - requestedSetID: the set asked for, or `nil` for the newest snapshot of each host.
    ///   - sets: `ListSetsResponse.sets` for the pool (used for the sets' labels and dates).
    ///   - snapshots: `ListSnapshotsResponse.snapshots` for the pool (and set, if one was asked for).
    ///   - inventories: `InventoryResponse.inventories` for each kind.
    ///   - generated: now, in Unix seconds.
    ///
    /// Every host that appears in the snapshots or the inventories gets a section. A host's snapshot is
    /// the one its inventories were taken with; a host without inventories shows its newest snapshot
    /// (typically a failed one, whose error the report repeats).
    public init(
        pool: String, requestedSetID: String?, sets: [Keep_V1_BackupSetInfo], snapshots: [Keep_V1_SnapshotInfo],
        inventories: [InventoryKind: [Keep_V1_HostInventory]], generated: Int64
    ) {
        let relevantSnapshots = snapshots.filter { snapshot in
            snapshot.pool == pool && (requestedSetID.map { $0 == snapshot.setID } ?? true)
        }
        var hostIDs = Set(relevantSnapshots.map(\.hostID))
        for documents in inventories.values { hostIDs.formUnion(documents.filter { $0.pool == pool }.map(\.hostID)) }

        let hosts = hostIDs.sorted().map { hostID in
            Self.host(
                hostID, pool: pool, snapshots: relevantSnapshots.filter { $0.hostID == hostID },
                inventories: inventories)
        }
        let setIDs = Set(hosts.compactMap { $0.snapshot?.setID }).union(requestedSetID.map { [$0] } ?? [])
        let summaries = sets.filter { setIDs.contains($0.setID) }.map {
            BackupSetSummary(id: $0.setID, label: $0.label, created: $0.created, status: $0.status)
        }
        let known = Set(summaries.map(\.id))
        let unknown = setIDs.subtracting(known).map { BackupSetSummary(id: $0, label: "", created: 0, status: "") }
        self.init(
            pool: pool, requestedSetID: requestedSetID,
            sets: (summaries + unknown).sorted { ($0.created, $0.id) < ($1.created, $1.id) }, hosts: hosts,
            generated: generated)
    }

    private static func host(
        _ hostID: String, pool: String, snapshots: [Keep_V1_SnapshotInfo],
        inventories: [InventoryKind: [Keep_V1_HostInventory]]
    ) -> HostReport {
        var problems: [String] = []
        var missing: [String] = []
        // The controller answers oldest first; the last document of a host is its newest.
        func document<Document: Decodable>(_ kind: InventoryKind, as type: Document.Type) -> (Document?, String?) {
            let candidates = (inventories[kind] ?? []).filter { $0.hostID == hostID && $0.pool == pool }
            guard let newest = candidates.last else {
                missing.append(kind.rawValue)
                return (nil, nil)
            }
            do {
                return (try JSONDecoder().decode(Document.self, from: newest.json), newest.snapshotID)
            } catch {
                problems.append("The \(kind.rawValue) inventory of \(newest.snapshotID) cannot be read.")
                return (nil, newest.snapshotID)
            }
        }
        let (system, systemFrom) = document(.system, as: SystemInventory.self)
        let (users, usersFrom) = document(.users, as: UsersInventory.self)
        let (packages, packagesFrom) = document(.packages, as: PackagesInventory.self)
        let (services, servicesFrom) = document(.services, as: ServicesInventory.self)

        if missing.count == InventoryKind.allCases.count {
            problems.append("No inventory was recorded.")
        } else if !missing.isEmpty {
            problems.append("No \(missing.joined(separator: ", ")) inventory.")
        }
        let documentedID = systemFrom ?? usersFrom ?? packagesFrom ?? servicesFrom
        let newest = snapshots.max {
            ($0.finished, $0.started, $0.snapshotID) < ($1.finished, $1.started, $1.snapshotID)
        }
        let chosen = documentedID.flatMap { id in snapshots.first { $0.snapshotID == id } } ?? newest
        if let chosen, chosen.status != "complete" {
            let error = chosen.error.isEmpty ? "" : ": \(chosen.error)"
            problems.insert("Snapshot \(chosen.snapshotID) is \(chosen.status)\(error).", at: 0)
        }
        for (kind, from) in [("users", usersFrom), ("packages", packagesFrom), ("services", servicesFrom)] {
            if let from, let documentedID, from != documentedID {
                problems.append("The \(kind) inventory comes from an older snapshot, \(from).")
            }
        }
        if let reason = users?.unavailable { problems.append("User list incomplete: \(reason)") }
        if let reason = packages?.unavailable { problems.append("Package list incomplete: \(reason)") }
        if let reason = services?.unavailable { problems.append("Service list unavailable: \(reason)") }

        return HostReport(
            hostID: hostID,
            snapshot: chosen.map {
                SnapshotSummary(
                    id: $0.snapshotID, setID: $0.setID, status: $0.status, finished: $0.finished, files: $0.files,
                    bytesTotal: $0.bytesTotal, bytesNew: $0.bytesNew, error: $0.error)
            },
            system: system, users: users, packages: packages, services: services, problems: problems)
    }
}
