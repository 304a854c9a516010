import Glibc
import KeepCore
import KeepStore

/// The work of one restore (or of staging one rollback): recreates snapshot entries inside open
/// directories and collects per-path errors. Used from one task only (the writer tasks it starts for
/// small files touch nothing of it; they report back what they did).
///
/// Confinement: every directory is entered with `openat(parent, name, O_NOFOLLOW | O_DIRECTORY)`
/// from the target's descriptor down; a regular file whose name is free is created there with
/// `O_CREAT | O_EXCL | O_NOFOLLOW` (which refuses anything already there, a symlink included); every
/// other entry is created under a fresh temporary name (`O_CREAT | O_EXCL | O_NOFOLLOW`, `symlinkat`,
/// `mkfifoat`, `mknodat`, `linkat`) and renamed over its final name, which replaces a planted symlink
/// instead of writing through it. Names from the snapshot are checked again before anything is created.
final class RestoreSession {
    /// A directory being filled: its descriptor (borrowed), where it is below the session's root
    /// (to reopen it for hard links), and its snapshot path for messages.
    struct Place {
        var root: Int32
        var components: [[UInt8]]
        var descriptor: Int32
    }

    private struct LinkKey: Hashable {
        var group: UInt64
        var device: UInt64
        var inode: UInt64
    }

    private struct LinkOrigin {
        var root: Int32
        var components: [[UInt8]]
        var name: [UInt8]
    }

    let source: any ObjectSource
    let concurrency: Int
    /// fsync every file and directory written (rollback staging must survive a crash).
    let durable: Bool
    var summary = RestoreSummary()
    var accounts = AccountResolver()
    private var linkOrigins: [LinkKey: LinkOrigin] = [:]

    init(source: any ObjectSource, concurrency: Int, durable: Bool) {
        self.source = source
        self.concurrency = concurrency
        self.durable = durable
    }

    func fail(_ path: [UInt8], _ message: String, _ code: Int32? = nil) {
        summary.errors.append(PathError(path: TreeEntry.displayName(of: path), message: message, errorNumber: code))
    }

    func fail(_ error: RestoreError) {
        summary.errors.append(error.pathError)
    }

    /// Fetches a directory's tree and refuses it if any name is unsafe or names are not strictly
    /// sorted (a duplicate could turn a just-restored symlink into a path to write through).
    func children(of entry: TreeEntry, path: [UInt8]) async -> [TreeEntry]? {
        guard let subtree = entry.subtree else { return [] }
        let tree: Tree
        do {
            tree = try await source.tree(subtree)
        } catch {
            fail(path, "cannot fetch the directory listing: \(error)")
            return nil
        }
        for (index, child) in tree.entries.enumerated() {
            do {
                try TreeEntry.checkName(child.name)
            } catch {
                fail(.hostileTree(path: TreeEntry.displayName(of: path), reason: "\(error)"))
                return nil
            }
            if index > 0, !tree.entries[index - 1].name.lexicographicallyPrecedes(child.name) {
                fail(.hostileTree(path: TreeEntry.displayName(of: path), reason: "names repeated or unsorted"))
                return nil
            }
        }
        return tree.entries
    }

    /// Recreates `entry` (and everything below it) as `name` inside `place`.
    func restore(_ entry: TreeEntry, in place: Place, as name: [UInt8], path: [UInt8]) async {
        do {
            try TreeEntry.checkName(name)
        } catch {
            fail(.hostileTree(path: TreeEntry.displayName(of: path), reason: "\(error)"))
            return
        }
        if entry.kind != .directory, entry.hardLinkGroup != 0,
            let origin = linkOrigins[LinkKey(group: entry.hardLinkGroup, device: entry.device, inode: entry.inode)]
        {
            link(to: origin, entry: entry, in: place, as: name, path: path)
            return
        }
        switch entry.kind {
        case .directory: await restoreDirectory(entry, in: place, as: name, path: path)
        case .file: await restoreFile(entry, in: place, as: name, path: path)
        default: restoreSpecial(entry, in: place, as: name, path: path)
        }
    }

    private func restoreDirectory(_ entry: TreeEntry, in place: Place, as name: [UInt8], path: [UInt8]) async {
        let cName = DirectoryOps.cString(name)
        if mkdirat(place.descriptor, cName, 0o700) != 0, errno != EEXIST {
            fail(path, "cannot create directory: \(errorText(errno))", errno)
            return
        }
        let descriptor = DirectoryOps.openDirectory(place.descriptor, name)
        guard descriptor >= 0 else {
            if errno == ELOOP || errno == ENOTDIR {
                fail(.notADirectory(path: TreeEntry.displayName(of: path)))
            } else {
                fail(path, "cannot open directory: \(errorText(errno))", errno)
            }
            return
        }
        defer { close(descriptor) }
        summary.directories += 1
        if let children = await children(of: entry, path: path) {
            let inner = Place(root: place.root, components: place.components + [name], descriptor: descriptor)
            // Small files are fetched here, in walk order (the source reads ahead in that order), and
            // written by up to `smallFileWriters` tasks: creating, writing and closing 30,000 small files
            // one after another left the restore waiting on those calls with a core idle.
            await withTaskGroup(of: FileOutcome.self) { writers in
                var running = 0
                for child in children {
                    let childPath = joinPath(path, child.name)
                    guard let contents = await smallFileContents(child) else {
                        await restore(child, in: inner, as: child.name, path: childPath)
                        continue
                    }
                    if running >= Self.smallFileWriters, let outcome = await writers.next() {
                        record(outcome)
                        running -= 1
                    }
                    let metadata = EntryMetadata(child, accounts: &accounts)
                    let (directory, durable) = (inner.descriptor, self.durable)
                    writers.addTask {
                        await Self.writeFile(
                            child, metadata: metadata, directory: directory, name: child.name, path: childPath,
                            durable: durable, from: contents, concurrency: 1)
                    }
                    running += 1
                }
                for await outcome in writers { record(outcome) }
            }
        }
        let metadata = EntryMetadata(entry, accounts: &accounts)
        for failure in MetadataApplier.apply(metadata, descriptor: descriptor) { fail(path, failure) }
        if durable, fsync(descriptor) != 0 { fail(path, "cannot sync directory: \(errorText(errno))", errno) }
    }

    private func restoreFile(_ entry: TreeEntry, in place: Place, as name: [UInt8], path: [UInt8]) async {
        if entry.hardLinkGroup != 0, entry.content.isEmpty, entry.size > 0 {
            fail(.missingLinkOrigin(path: TreeEntry.displayName(of: path)))
            return
        }
        let metadata = EntryMetadata(entry, accounts: &accounts)
        let outcome = await Self.writeFile(
            entry, metadata: metadata, directory: place.descriptor, name: name, path: path, durable: durable,
            from: source, concurrency: concurrency)
        record(outcome)
        if outcome.created { remember(entry, in: place, as: name) }
    }

    /// What writing one regular file came to.
    struct FileOutcome: Sendable {
        var created = false
        var bytes: UInt64 = 0
        var errors: [PathError] = []
    }

    private func record(_ outcome: FileOutcome) {
        summary.bytes += outcome.bytes
        if outcome.created { summary.files += 1 }
        summary.errors += outcome.errors
    }

    /// How many small files are written at once, and what counts as small (its data is held in memory
    /// from the fetch until its writer is done).
    static let smallFileWriters = 4
    static let smallFileLimit: UInt64 = 1 << 20

    /// The data of a small, plain regular file (no hard link, at most `smallFileLimit` bytes, a safe
    /// name), fetched in walk order; nil for anything else, or when a fetch fails (the file is then
    /// restored the ordinary way, which reports the failure).
    private func smallFileContents(_ entry: TreeEntry) async -> FetchedChunks? {
        guard entry.kind == .file, entry.hardLinkGroup == 0, entry.size <= Self.smallFileLimit,
            (try? TreeEntry.checkName(entry.name)) != nil
        else { return nil }
        var chunks: [ChunkID: [UInt8]] = [:]
        for extent in entry.content {
            for chunk in extent.chunks {
                guard let bytes = try? await source.data(chunk.id) else { return nil }
                chunks[chunk.id] = bytes
            }
        }
        return FetchedChunks(chunks: chunks)
    }

    /// Creates a regular file named `name` in `directory` with `entry`'s data from `source` and its
    /// metadata. A name not taken yet is created directly (O_EXCL refuses anything there, a symlink
    /// too); an existing one is replaced by a file written under a temporary name and renamed over it.
    /// Most restores go to new directories: one renameat less per file. Touches nothing of the session,
    /// so writer tasks can run it.
    static func writeFile(
        _ entry: TreeEntry, metadata: EntryMetadata, directory: Int32, name: [UInt8], path: [UInt8], durable: Bool,
        from source: any ObjectSource, concurrency: Int
    ) async -> FileOutcome {
        var outcome = FileOutcome()
        let display = TreeEntry.displayName(of: path)
        func fail(_ message: String, _ code: Int32? = nil) {
            outcome.errors.append(PathError(path: display, message: message, errorNumber: code))
        }
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var written = name
        var descriptor = openat(directory, DirectoryOps.cString(name), flags, 0o600)
        if descriptor < 0, errno == EEXIST {
            written = DirectoryOps.temporaryName()
            descriptor = openat(directory, DirectoryOps.cString(written), flags, 0o600)
        }
        guard descriptor >= 0 else {
            fail("cannot create file: \(errorText(errno))", errno)
            return outcome
        }
        var closed = false
        func discard(_ message: String, _ code: Int32? = nil) -> FileOutcome {
            if !closed { close(descriptor) }
            closed = true
            unlinkat(directory, DirectoryOps.cString(written), 0)
            fail(message, code)
            return outcome
        }
        // Writing the data sizes a dense file; one with holes (or none) is sized first.
        let dense =
            entry.content.isEmpty
            ? entry.size == 0
            : entry.content.count == 1 && entry.content[0].offset == 0
                && entry.content[0].chunks.reduce(UInt64(0)) { $0 + UInt64($1.length) } == entry.size
        guard dense || ftruncate(descriptor, off_t(entry.size)) == 0 else {
            return discard("cannot size file: \(errorText(errno))", errno)
        }
        do {
            let writer = FileContentWriter(source: source, concurrency: concurrency)
            outcome.bytes = try await writer.write(entry.content, to: descriptor, path: display)
        } catch let error as RestoreError {
            return discard(error.description)
        } catch let error as Errno {
            return discard("cannot write file: \(error)", error.code)
        } catch {
            return discard("cannot fetch file data: \(error)")
        }
        for failure in MetadataApplier.apply(metadata, descriptor: descriptor) { fail(failure) }
        if durable, fsync(descriptor) != 0 { return discard("cannot sync file: \(errorText(errno))", errno) }
        close(descriptor)
        closed = true
        if written != name, let failure = moveIntoPlace(written, in: directory, as: name, path: path) {
            outcome.errors.append(failure)
            return outcome
        }
        outcome.created = true
        return outcome
    }

    private func restoreSpecial(_ entry: TreeEntry, in place: Place, as name: [UInt8], path: [UInt8]) {
        let temporary = DirectoryOps.temporaryName()
        let cTemporary = DirectoryOps.cString(temporary)
        let result: Int32
        switch entry.kind {
        case .symlink: result = symlinkat(DirectoryOps.cString(entry.symlinkTarget), place.descriptor, cTemporary)
        case .fifo: result = mkfifoat(place.descriptor, cTemporary, 0o600)
        case .characterDevice:
            result = mknodat(place.descriptor, cTemporary, FileMode.characterDevice | 0o600, dev_t(entry.rdev))
        case .blockDevice:
            result = mknodat(place.descriptor, cTemporary, FileMode.blockDevice | 0o600, dev_t(entry.rdev))
        case .socket: result = mknodat(place.descriptor, cTemporary, FileMode.socket | 0o600, 0)
        case .file, .directory: return
        }
        guard result == 0 else {
            fail(path, "cannot create \(entry.kind): \(errorText(errno))", errno)
            return
        }
        let metadata = EntryMetadata(entry, accounts: &accounts)
        for failure in MetadataApplier.apply(metadata, parent: place.descriptor, name: temporary, removeOthers: false) {
            fail(path, failure)
        }
        if let failure = Self.moveIntoPlace(temporary, in: place.descriptor, as: name, path: path) {
            summary.errors.append(failure)
            return
        }
        if entry.kind == .symlink { summary.symlinks += 1 } else { summary.others += 1 }
        remember(entry, in: place, as: name)
    }

    /// A later member of a hard-link group: a new link to where the first member was restored.
    private func link(to origin: LinkOrigin, entry: TreeEntry, in place: Place, as name: [UInt8], path: [UInt8]) {
        let opened = DirectoryOps.openDirectory(root: origin.root, components: origin.components)
        guard case .success(let originDirectory) = opened else {
            fail(.missingLinkOrigin(path: TreeEntry.displayName(of: path)))
            return
        }
        defer { close(originDirectory) }
        let temporary = DirectoryOps.temporaryName()
        guard
            linkat(
                originDirectory, DirectoryOps.cString(origin.name), place.descriptor,
                DirectoryOps.cString(temporary), 0) == 0
        else {
            fail(path, "cannot create hard link: \(errorText(errno))", errno)
            return
        }
        if let failure = Self.moveIntoPlace(temporary, in: place.descriptor, as: name, path: path) {
            summary.errors.append(failure)
            return
        }
        if entry.kind == .file { summary.files += 1 } else { summary.others += 1 }
    }

    /// `renameat` over the final name (atomic; replaces a file or symlink, never writes through one);
    /// the error, if it could not.
    private static func moveIntoPlace(_ temporary: [UInt8], in directory: Int32, as name: [UInt8], path: [UInt8])
        -> PathError?
    {
        let cTemporary = DirectoryOps.cString(temporary)
        guard renameat(directory, cTemporary, directory, DirectoryOps.cString(name)) == 0 else {
            let code = errno
            unlinkat(directory, cTemporary, 0)
            let message =
                code == EISDIR || code == ENOTEMPTY || code == EEXIST
                ? "exists as a directory; not replaced (remove it and retry)"
                : "cannot move into place: \(errorText(code))"
            return PathError(path: TreeEntry.displayName(of: path), message: message, errorNumber: code)
        }
        return nil
    }

    private func remember(_ entry: TreeEntry, in place: Place, as name: [UInt8]) {
        guard entry.hardLinkGroup != 0 else { return }
        let key = LinkKey(group: entry.hardLinkGroup, device: entry.device, inode: entry.inode)
        linkOrigins[key] = LinkOrigin(root: place.root, components: place.components, name: name)
    }
}

/// A small file's chunks, fetched before its writer task runs.
struct FetchedChunks: ObjectSource {
    let chunks: [ChunkID: [UInt8]]

    func tree(_ id: ChunkID) async throws -> Tree {
        throw KeepError(.internalError, "a file's fetched data holds no trees")
    }

    func data(_ id: ChunkID) async throws -> [UInt8] {
        guard let bytes = chunks[id] else {
            throw KeepError(.internalError, "chunk \(id.hex.prefix(12)) was not fetched with its file")
        }
        return bytes
    }
}
