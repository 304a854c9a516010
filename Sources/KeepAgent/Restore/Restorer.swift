import Glibc
import KeepCore
import KeepStore

/// How a restore runs.
public struct RestoreOptions: Sendable, Hashable {
    /// Report what would be written without writing anything.
    public var dryRun: Bool
    /// How many data chunks of one file are fetched at once (memory stays at about this many chunks).
    public var concurrency: Int

    /// Defaults: write, four chunks in flight.
    public init(dryRun: Bool = false, concurrency: Int = 4) {
        self.dryRun = dryRun
        self.concurrency = concurrency
    }
}

/// Restores a snapshot, or some of its paths, into a target directory: an alternate directory
/// (`/etc/nginx/nginx.conf` lands at `DIR/etc/nginx/nginx.conf`) or `/` for in place.
///
/// Nothing is ever written outside the target: directories are entered relative to the target's
/// descriptor with `O_NOFOLLOW`, files are written under a temporary name and renamed into place,
/// and a symlink already in the target (planted, or restored from a hostile snapshot) is replaced
/// or refused, never followed. Per-path problems land in `RestoreSummary.errors` and the restore
/// goes on.
///
/// ```swift
/// let restorer = Restorer(source: session.objects)
/// let summary = try await restorer.restore(snapshot: rootID, paths: ["/etc/nginx"], to: "/srv/restore")
/// ```
public struct Restorer: Sendable {
    public let source: any ObjectSource
    public let options: RestoreOptions

    /// A restorer reading objects from `source`.
    public init(source: any ObjectSource, options: RestoreOptions = RestoreOptions()) {
        self.source = source
        self.options = options
    }

    /// Restores `paths` (absolute snapshot paths; empty or `/` for everything) of the snapshot whose
    /// root tree is `root` into `target`. Throws `KeepError` only when the target cannot be opened or
    /// the root tree cannot be fetched; everything else is reported per path in the summary.
    /// Directories on the way to a selected path are created with their snapshot metadata when
    /// missing and left alone when they exist.
    public func restore(snapshot root: ChunkID, paths: [String] = [], to target: String) async throws
        -> RestoreSummary
    {
        let rootTree = try await source.tree(root)
        let session = RestoreSession(source: source, concurrency: max(1, options.concurrency), durable: false)
        let selections = Self.selections(paths, session: session)
        var targetDescriptor: Int32 = -1
        if !options.dryRun {
            targetDescriptor = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard targetDescriptor >= 0 else {
                throw KeepError(
                    errno == ENOENT ? .notFound : .io, "cannot open the restore target: \(errorText(errno))",
                    context: target, hint: "create the target directory or choose another one")
            }
        }
        defer { if targetDescriptor >= 0 { close(targetDescriptor) } }
        let rootEntry = TreeEntry(name: [0x2f], kind: .directory, subtree: root)
        var created: [(components: [[UInt8]], entry: TreeEntry)] = []
        for components in selections {
            if components.isEmpty {
                await restoreChildren(of: rootEntry, rootTree, session: session, target: targetDescriptor)
                continue
            }
            guard let (leading, entry) = await locate(components, in: rootTree, session: session) else { continue }
            let path = [0x2f] + components.joined(separator: [0x2f])
            if options.dryRun {
                await session.describe(entry, path: path)
                continue
            }
            guard
                let parent = makeLeading(
                    leading, components: components, target: targetDescriptor,
                    session: session, created: &created)
            else { continue }
            defer { close(parent) }
            let place = RestoreSession.Place(
                root: targetDescriptor, components: Array(components.dropLast()), descriptor: parent)
            await session.restore(entry, in: place, as: entry.name, path: path)
        }
        for (components, entry) in created.reversed() {
            guard
                case .success(let descriptor) = DirectoryOps.openDirectory(
                    root: targetDescriptor, components: components)
            else { continue }
            let metadata = EntryMetadata(entry, accounts: &session.accounts)
            for failure in MetadataApplier.apply(metadata, descriptor: descriptor) {
                session.fail([0x2f] + components.joined(separator: [0x2f]), failure)
            }
            close(descriptor)
        }
        return session.summary
    }

    /// The whole snapshot: the root tree's entries directly into the target (whose own metadata stays).
    private func restoreChildren(of rootEntry: TreeEntry, _ tree: Tree, session: RestoreSession, target: Int32) async {
        guard let children = await session.children(of: rootEntry, path: [0x2f]) else { return }
        for child in children {
            let path = [0x2f] + child.name
            if options.dryRun {
                await session.describe(child, path: path)
            } else {
                let place = RestoreSession.Place(root: target, components: [], descriptor: target)
                await session.restore(child, in: place, as: child.name, path: path)
            }
        }
    }

    /// Normalised selections: components of each path, `.`/`..` refused, and paths inside another
    /// selected path dropped (an empty selection means everything).
    private static func selections(_ paths: [String], session: RestoreSession) -> [[[UInt8]]] {
        var result: [[[UInt8]]] = []
        let all = paths.isEmpty ? [[]] : paths.map { pathComponents(Array($0.utf8)) }
        for (index, components) in all.enumerated() {
            if components.contains(where: { $0 == [0x2e] || $0 == [0x2e, 0x2e] }) {
                session.fail(Array(paths[index].utf8), "paths may not contain . or .. components")
                continue
            }
            result.append(components)
        }
        result.sort { $0.count < $1.count }
        var kept: [[[UInt8]]] = []
        for components in result where !kept.contains(where: { components.starts(with: $0) }) {
            kept.append(components)
        }
        return kept
    }

    /// Follows a path through the snapshot's trees: the directories leading to it and its entry.
    private func locate(_ components: [[UInt8]], in rootTree: Tree, session: RestoreSession) async
        -> ([TreeEntry], TreeEntry)?
    {
        var tree = rootTree
        var leading: [TreeEntry] = []
        var path: [UInt8] = []
        for (index, name) in components.enumerated() {
            path = joinPath(path.isEmpty ? [0x2f] : path, name)
            guard let entry = tree.entry(named: name) else {
                session.fail(path, "not in the snapshot")
                return nil
            }
            if index == components.count - 1 { return (leading, entry) }
            guard entry.kind == .directory, let children = await session.children(of: entry, path: path) else {
                if entry.kind != .directory { session.fail(path, "not a directory in the snapshot") }
                return nil
            }
            guard let next = try? Tree(entries: children) else {
                session.fail(.hostileTree(path: TreeEntry.displayName(of: path), reason: "invalid entries"))
                return nil
            }
            tree = next
            leading.append(entry)
        }
        return nil
    }

    /// Opens (creating when missing) the directories leading to a selected path; returns the
    /// parent's descriptor. Created ones are remembered so their metadata is applied at the end.
    private func makeLeading(
        _ leading: [TreeEntry], components: [[UInt8]], target: Int32, session: RestoreSession,
        created: inout [(components: [[UInt8]], entry: TreeEntry)]
    ) -> Int32? {
        var current = dup(target)
        for (index, entry) in leading.enumerated() {
            let name = components[index]
            let path = [0x2f] + components[...index].joined(separator: [0x2f])
            if mkdirat(current, DirectoryOps.cString(name), 0o700) == 0 {
                created.append((Array(components[...index]), entry))
            }
            let next = DirectoryOps.openDirectory(current, name)
            let code = errno
            close(current)
            guard next >= 0 else {
                if code == ELOOP || code == ENOTDIR {
                    session.fail(.notADirectory(path: TreeEntry.displayName(of: path)))
                } else {
                    session.fail(path, "cannot open directory: \(errorText(code))", code)
                }
                return nil
            }
            current = next
        }
        return current
    }
}
