import Glibc
import KeepCore
import KeepStore

/// The agent's side of a coordinated rollback of some snapshot paths on this host, in two phases:
///
/// 1. `plan(root:paths:)` compares the snapshot with the live files (read-only);
/// 2. `prepare(_:jobID:)` writes everything that must change into a staging directory next to each
///    path (`<parent>/.keep-rollback-<job>/`, same filesystem), fsynced, with metadata applied,
///    and persists a manifest; nothing live changes;
/// 3. `commit(_:)` renames staged entries over the live ones (atomic per entry), removes what the
///    snapshot lacks and applies directory metadata last; safe to run again after a crash;
///    or `abort(_:)` removes the staging directories and leaves the live files alone.
///
/// ```swift
/// let stager = RollbackStager(source: objects)
/// let plan = try await stager.plan(root: snapshotRoot, paths: ["/srv/data", "/etc"])
/// let staged = try await stager.prepare(plan, jobID: job)      // report ready
/// let result = try stager.commit(staged)                       // on the controller's commit
/// ```
public struct RollbackStager: Sendable {
    /// Names starting with this are staging directories and never treated as live content.
    public static let stagingPrefix = Array(".keep-rollback-".utf8)

    public let source: any ObjectSource
    /// Where the snapshot's `/` lives on this host: `/` in production, a temporary directory in tests.
    public let hostRoot: String
    /// Data chunks fetched at once per file while staging.
    public let concurrency: Int
    /// The repository's chunker parameters: live files are chunked with them to compare chunk ids
    /// with the snapshot's (other parameters only make unchanged files look changed).
    public let chunking: ChunkerParameters

    /// A stager reading objects from `source` and working below `hostRoot`.
    public init(
        source: any ObjectSource, hostRoot: String = "/", concurrency: Int = 4, chunking: ChunkerParameters = .default
    ) {
        self.source = source
        self.hostRoot = hostRoot
        self.concurrency = concurrency
        self.chunking = chunking
    }

    /// Compares the snapshot with the live filesystem under `paths` (absolute; normally the sources
    /// recorded in the snapshot). Changes nothing. Throws `KeepError` when a path is not in the
    /// snapshot, its live parent directory is missing or not a real directory, or a live entry
    /// cannot be read.
    public func plan(root: ChunkID, paths: [String]) async throws -> RollbackPlan {
        let host = try openHostRoot()
        defer { close(host) }
        let rootTree = try await source.tree(root)
        let planner = RollbackPlanner(source: source, chunking: chunking)
        var scopes: [RollbackPlan.Scope] = []
        var bytes: UInt64 = 0
        for path in Self.normalised(paths) {
            let components = pathComponents(path)
            let entry = try await locate(components, in: rootTree)
            let parent = try openParent(host, components)
            defer { close(parent) }
            let scope = try await planner.plan(entry, parent: parent, path: path)
            bytes += try await planner.bytes(of: scope.changes)
            scopes.append(scope)
        }
        return RollbackPlan(snapshot: root, scopes: scopes, bytesToWrite: bytes)
    }

    /// Removes the staging directories of a prepared rollback; live files are not touched.
    /// Missing staging directories are fine (already aborted or committed).
    public func abort(_ staged: StagedRollback) throws {
        let host = try openHostRoot(staged.hostRoot)
        defer { close(host) }
        for scope in staged.scopes {
            guard let parent = try? openParent(host, pathComponents(Array(scope.path))) else { continue }
            defer { close(parent) }
            if let failure = DirectoryOps.removeTree(parent, Array(scope.stagingName.utf8)) {
                throw KeepError(
                    .io, "cannot remove the staging directory: \(failure)",
                    context: TreeEntry.displayName(of: Array(scope.path)), hint: "remove it by hand")
            }
        }
    }

    // MARK: - Shared helpers

    func openHostRoot(_ path: String? = nil) throws -> Int32 {
        let root = path ?? hostRoot
        let descriptor = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw KeepError(.io, "cannot open the host root: \(errorText(errno))", context: root)
        }
        return descriptor
    }

    /// Opens the live parent directory of an absolute path, never following a symlink on the way.
    func openParent(_ host: Int32, _ components: [[UInt8]]) throws -> Int32 {
        guard !components.isEmpty else {
            throw KeepError(.configuration, "cannot roll back / itself", hint: "roll back the source paths below it")
        }
        switch DirectoryOps.openDirectory(root: host, components: Array(components.dropLast())) {
        case .success(let descriptor): return descriptor
        case .failure(let failure):
            let path = "/" + components.dropLast().map { TreeEntry.displayName(of: $0) }.joined(separator: "/")
            throw KeepError(
                .io, "cannot open the parent directory: \(failure)", context: path,
                hint: "it must exist and be a real directory (symlinks are not followed)")
        }
    }

    /// Absolute paths as byte components; `.`/`..` refused, nested paths folded into their parent.
    static func normalised(_ paths: [String]) -> [[UInt8]] {
        var all = paths.map { pathComponents(Array($0.utf8)) }
            .filter { !$0.contains([0x2e]) && !$0.contains([0x2e, 0x2e]) }
        all.sort { $0.count < $1.count }
        var kept: [[[UInt8]]] = []
        for components in all where !kept.contains(where: { components.starts(with: $0) }) {
            kept.append(components)
        }
        return kept.map { [0x2f] + $0.joined(separator: [0x2f]) }
    }

    private func locate(_ components: [[UInt8]], in rootTree: Tree) async throws -> TreeEntry {
        var tree = rootTree
        for (index, name) in components.enumerated() {
            let path = "/" + components[...index].map { TreeEntry.displayName(of: $0) }.joined(separator: "/")
            guard let entry = tree.entry(named: name) else {
                throw KeepError(
                    .notFound, "not in the snapshot", context: path, hint: "roll back the snapshot's sources")
            }
            if index == components.count - 1 { return entry }
            guard entry.kind == .directory, let subtree = entry.subtree else {
                throw KeepError(.notFound, "not a directory in the snapshot", context: path)
            }
            tree = try await source.tree(subtree)
        }
        throw KeepError(.configuration, "cannot roll back / itself", hint: "roll back the source paths below it")
    }
}
