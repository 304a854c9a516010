import Foundation
import KeepCatalog
import KeepCore
import KeepProtocol
import KeepStore

/// `keepctl diff`: what changed between two backup sets (host by host) or two snapshots — files
/// added, removed and changed, and changes of the inventory (accounts, groups, packages, services).
struct DiffService {
    let catalog: any Catalog
    let store: ObjectStore

    func diff(_ request: Keep_V1_DiffRequest) async throws -> Keep_V1_DiffResponse {
        var response = Keep_V1_DiffResponse()
        for (host, from, to) in try await pairs(request) {
            let objects = SnapshotObjects(store: store, catalog: catalog)
            var files: [Keep_V1_DiffEntry] = []
            try await compare(from?.rootTree, to?.rootTree, path: "", host: host, objects: objects, into: &files)
            response.files += files
            response.inventory += try await inventoryChanges(host: host, from: from?.id, to: to?.id)
        }
        return response
    }

    /// The snapshots to compare, per host.
    private func pairs(_ request: Keep_V1_DiffRequest) async throws -> [(String, SnapshotRecord?, SnapshotRecord?)] {
        if request.from.hasPrefix(SnapshotID.prefix + "-") {
            let from = try await snapshot(request.from)
            let to = try await snapshot(request.to)
            return [(from.hostID == to.hostID ? from.hostID : "\(from.hostID)→\(to.hostID)", from, to)]
        }
        let from = try await completeSnapshots(of: request.from, host: request.host)
        let to = try await completeSnapshots(of: request.to, host: request.host)
        return Set(from.keys).union(to.keys).sorted().map { ($0, from[$0], to[$0]) }
    }

    private func snapshot(_ id: String) async throws -> SnapshotRecord {
        guard let snapshot = try await catalog.snapshot(SnapshotID(rawValue: id)), snapshot.status == .complete else {
            throw KeepError(.notFound, "no complete snapshot \(id)", hint: "list them with keepctl snapshots")
        }
        return snapshot
    }

    private func completeSnapshots(of set: String, host: String) async throws -> [String: SnapshotRecord] {
        guard try await catalog.set(BackupSetID(rawValue: set)) != nil else {
            throw KeepError(.notFound, "no backup set \(set)", hint: "list them with keepctl sets")
        }
        let snapshots = try await catalog.snapshots(host: host.isEmpty ? nil : host, pool: nil, set: BackupSetID(rawValue: set))
        return Dictionary(snapshots.filter { $0.status == .complete }.map { ($0.hostID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Compares two trees recursively; identical subtrees (same id) are skipped without reading them.
    private func compare(
        _ from: ChunkID?, _ to: ChunkID?, path: String, host: String, objects: SnapshotObjects,
        into changes: inout [Keep_V1_DiffEntry]
    ) async throws {
        guard from != to else { return }
        var oldByName: [[UInt8]: TreeEntry] = [:]
        var newByName: [[UInt8]: TreeEntry] = [:]
        if let from { for entry in try await objects.tree(from).entries { oldByName[entry.name] = entry } }
        if let to { for entry in try await objects.tree(to).entries { newByName[entry.name] = entry } }
        for name in Set(oldByName.keys).union(newByName.keys).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let childPath = path + "/" + TreeEntry.displayName(of: name)
            switch (oldByName[name], newByName[name]) {
            case (nil, let added?):
                changes.append(entry(host, childPath, "added", []))
                if added.kind == .directory {
                    try await compare(nil, added.subtree, path: childPath, host: host, objects: objects, into: &changes)
                }
            case (let removed?, nil):
                changes.append(entry(host, childPath, "removed", []))
                if removed.kind == .directory {
                    try await compare(removed.subtree, nil, path: childPath, host: host, objects: objects, into: &changes)
                }
            case (let before?, let after?):
                let details = differences(before, after)
                if !details.isEmpty { changes.append(entry(host, childPath, "changed", details)) }
                if before.kind == .directory || after.kind == .directory {
                    try await compare(
                        before.kind == .directory ? before.subtree : nil, after.kind == .directory ? after.subtree : nil,
                        path: childPath, host: host, objects: objects, into: &changes)
                }
            case (nil, nil):
                break
            }
        }
    }

    private func differences(_ before: TreeEntry, _ after: TreeEntry) -> [String] {
        var details: [String] = []
        if before.kind != after.kind { return ["type \(before.kind) → \(after.kind)"] }
        if before.kind == .file && before.content != after.content { details.append("content") }
        if before.kind == .symlink && before.symlinkTarget != after.symlinkTarget { details.append("link target") }
        if before.mode != after.mode {
            details.append("mode \(String(before.mode & 0o7777, radix: 8)) → \(String(after.mode & 0o7777, radix: 8))")
        }
        if before.uid != after.uid || before.gid != after.gid {
            details.append("owner \(before.uid):\(before.gid) → \(after.uid):\(after.gid)")
        }
        if before.extendedAttributes != after.extendedAttributes { details.append("extended attributes") }
        return details
    }

    private func entry(_ host: String, _ path: String, _ change: String, _ details: [String]) -> Keep_V1_DiffEntry {
        .with {
            $0.hostID = host
            $0.path = path
            $0.change = change
            $0.details = details
        }
    }

    // MARK: Inventory

    private func inventoryChanges(host: String, from: SnapshotID?, to: SnapshotID?) async throws -> [Keep_V1_InventoryChange] {
        func document<T: Decodable>(_ kind: InventoryKind, _ snapshot: SnapshotID?, as type: T.Type) async throws -> T? {
            guard let snapshot else { return nil }
            let records = try await catalog.inventories(kind: kind.rawValue, host: nil, pool: nil, set: nil, snapshot: snapshot)
            return records.first.flatMap { try? JSONDecoder().decode(T.self, from: Data($0.json)) }
        }
        var changes: [Keep_V1_InventoryChange] = []
        func compare<Item>(_ kind: String, _ old: [Item], _ new: [Item], name: (Item) -> String, describe: (Item) -> String) {
            let before = Dictionary(old.map { (name($0), describe($0)) }, uniquingKeysWith: { first, _ in first })
            let after = Dictionary(new.map { (name($0), describe($0)) }, uniquingKeysWith: { first, _ in first })
            for key in Set(before.keys).union(after.keys).sorted() {
                let change: (String, String)? =
                    switch (before[key], after[key]) {
                    case (nil, let value?): ("added", value)
                    case (let value?, nil): ("removed", value)
                    case (let old?, let new?) where old != new: ("changed", "\(old) → \(new)")
                    default: nil
                    }
                guard let (what, detail) = change else { continue }
                changes.append(
                    .with {
                        $0.hostID = host
                        $0.kind = kind
                        $0.change = what
                        $0.name = key
                        $0.detail = detail
                    })
            }
        }
        let usersBefore = try await document(.users, from, as: UsersInventory.self)
        let usersAfter = try await document(.users, to, as: UsersInventory.self)
        compare("users", usersBefore?.accounts ?? [], usersAfter?.accounts ?? [], name: \.name) { account in
            "uid \(account.uid.map(String.init) ?? "-") home \(account.home ?? "-") shell \(account.shell ?? "-") groups \(account.groups.joined(separator: ","))"
        }
        compare("groups", usersBefore?.groups ?? [], usersAfter?.groups ?? [], name: \.name) { group in
            "gid \(group.gid) members \(group.members.joined(separator: ","))"
        }
        let packagesBefore = try await document(.packages, from, as: PackagesInventory.self)
        let packagesAfter = try await document(.packages, to, as: PackagesInventory.self)
        compare("packages", packagesBefore?.packages ?? [], packagesAfter?.packages ?? [], name: \.name) { $0.version }
        let servicesBefore = try await document(.services, from, as: ServicesInventory.self)
        let servicesAfter = try await document(.services, to, as: ServicesInventory.self)
        compare("services", servicesBefore?.units ?? [], servicesAfter?.units ?? [], name: \.name) { unit in
            "\(unit.active)/\(unit.sub)" + (unit.enabled.map { " \($0)" } ?? "")
        }
        return changes
    }
}
