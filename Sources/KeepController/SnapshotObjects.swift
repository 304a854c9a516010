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
    /// snapshot is complete). Goes level by level and asks about presence in batches: one catalog query
    /// per object made this check take longer than an unchanged backup itself.
    ///
    /// With `parent`, a snapshot of the same host committed complete earlier, what the two share is
    /// trusted: a subtree whose id is the parent's at the same path is not descended into, and chunks the
    /// parent's same file listed are not asked about. An unchanged backup (same root) is complete at once;
    /// a changed one costs in proportion to what changed.
    func missingObjects(root: ChunkID, sharingWith parent: ChunkID? = nil) async throws -> [ChunkID] {
        if root == parent { return [] }
        var missing: [ChunkID] = []
        var seen: Set<ChunkID> = [root]
        var level: [(id: ChunkID, earlier: ChunkID?)] = [(root, parent)]
        while !level.isEmpty {
            let presentTrees = try await present(level.map(\.id))
            var next: [(id: ChunkID, earlier: ChunkID?)] = []
            var chunks: [ChunkID] = []
            for (id, earlierID) in level {
                guard presentTrees.contains(id) else {
                    missing.append(id)
                    continue
                }
                var earlier: Tree?
                if let earlierID { earlier = try? await tree(earlierID) }
                for entry in try await tree(id).entries {
                    let old = earlier?.entry(named: entry.name)
                    if let subtree = entry.subtree {
                        if old?.subtree == subtree { continue }
                        if seen.insert(subtree).inserted { next.append((subtree, old?.subtree)) }
                    }
                    let known = Set(old?.content.flatMap { $0.chunks.map(\.id) } ?? [])
                    for extent in entry.content {
                        for chunk in extent.chunks where !known.contains(chunk.id) && seen.insert(chunk.id).inserted {
                            chunks.append(chunk.id)
                        }
                    }
                }
            }
            let presentChunks = try await present(chunks)
            missing += chunks.filter { !presentChunks.contains($0) }
            level = next
        }
        return missing
    }

    /// Which of `ids` are present, asked in batches of the HaveChunks limit.
    private func present(_ ids: [ChunkID]) async throws -> Set<ChunkID> {
        var found = Set<ChunkID>()
        for start in stride(from: 0, to: ids.count, by: 4096) {
            let batch = Array(ids[start..<min(ids.count, start + 4096)])
            if let pool {
                found.formUnion(try await store.existing(batch, inPool: pool))
            } else {
                found.formUnion(try await catalog.locations(of: batch).keys)
            }
        }
        return found
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
