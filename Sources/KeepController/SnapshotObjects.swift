import KeepCatalog
import KeepCore
import KeepStore

/// Walks the object graph of snapshots: root tree → subtrees → file chunks. Used to check a snapshot
/// is complete before it is committed, to browse it, and to verify it.
struct SnapshotObjects {
    let store: ObjectStore
    let catalog: any Catalog
    /// When set, only objects referenced by this pool count as present.
    var pool: String?

    init(store: ObjectStore, catalog: any Catalog, pool: String? = nil) {
        self.store = store
        self.catalog = catalog
        self.pool = pool
    }

    /// Reads and decodes one tree object.
    func tree(_ id: ChunkID) async throws -> Tree {
        let bytes = try await store.read(id)
        do {
            return try Tree.decode(bytes)
        } catch {
            throw KeepError(.integrity, "tree \(id.hex.prefix(12)) cannot be decoded: \(error)", hint: "run keepctl verify")
        }
    }

    /// The ids of objects reachable from `root` that the store does not have (an empty result means the
    /// snapshot is complete).
    func missingObjects(root: ChunkID) async throws -> [ChunkID] {
        var missing: [ChunkID] = []
        try await visit(root: root) { id, _ in
            if try await !isPresent(id) { missing.append(id) }
            return true
        }
        return missing
    }

    /// Visits every object reachable from `root` once: the trees (which it reads to descend) and the
    /// data chunks. `body` returns false for a tree it does not want descended into.
    func visit(root: ChunkID, _ body: (ChunkID, _ isTree: Bool) async throws -> Bool) async throws {
        var seen = Set<ChunkID>()
        var trees = [root]
        while let id = trees.popLast() {
            guard seen.insert(id).inserted else { continue }
            guard try await body(id, true), try await isPresent(id) else { continue }
            for entry in try await tree(id).entries {
                if let subtree = entry.subtree { trees.append(subtree) }
                for extent in entry.content {
                    for chunk in extent.chunks where seen.insert(chunk.id).inserted {
                        _ = try await body(chunk.id, false)
                    }
                }
            }
        }
    }

    private func isPresent(_ id: ChunkID) async throws -> Bool {
        if let pool { return try await store.existing([id], inPool: pool).contains(id) }
        return try await catalog.location(of: id) != nil
    }

    /// The entries of the directory at `path` ("/" or "" for the root) in the snapshot with root `root`.
    func listing(root: ChunkID, path: String) async throws -> [TreeEntry] {
        var current = try await tree(root)
        for component in path.split(separator: "/") where !component.isEmpty {
            guard let entry = current.entries.first(where: { $0.displayName == component }) else {
                throw KeepError(.notFound, "no such path in the snapshot: \(path)", hint: "list its parent directory first")
            }
            guard let subtree = entry.subtree else {
                return [entry]
            }
            current = try await tree(subtree)
        }
        return current.entries
    }
}
