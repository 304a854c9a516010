import Glibc
import KeepCore
import KeepStore

/// Compares one snapshot path with the live filesystem below `hostRoot`, read-only.
final class RollbackPlanner {
    private struct LinkKey: Hashable {
        var group: UInt64
        var device: UInt64
        var inode: UInt64
    }

    /// A change, or a hard-link member that is unchanged so far (`action == nil`) and may still have
    /// to be replaced with the rest of its group.
    private struct Candidate {
        var action: RollbackPlan.Action?
        var path: [UInt8]
        var entry: TreeEntry?
        var liveKind: TreeEntry.Kind?
        var liveInode: UInt64?
    }

    private let source: any ObjectSource
    private let session: RestoreSession
    private var accounts = AccountResolver()
    private var candidates: [Candidate] = []
    private var directories: [(path: [UInt8], entry: TreeEntry)] = []
    private var groups: [LinkKey: [Int]] = [:]
    private var groupContent: [LinkKey: [Extent]] = [:]

    private let chunking: ChunkerParameters

    init(source: any ObjectSource, chunking: ChunkerParameters) {
        self.source = source
        self.chunking = chunking
        session = RestoreSession(source: source, concurrency: 1, durable: false)
    }

    /// The scope of `entry` at `path`, whose live parent directory is open as `parent`.
    func plan(_ entry: TreeEntry, parent: Int32, path: [UInt8]) async throws -> RollbackPlan.Scope {
        candidates = []
        directories = []
        groups = [:]
        groupContent = [:]
        try await compare(entry, parent: parent, name: pathComponents(path).last ?? [], path: path)
        if let failure = session.summary.errors.first {
            throw KeepError(.integrity, failure.message, context: failure.path, hint: "check the snapshot")
        }
        settleHardLinks()
        let changes = candidates.compactMap { candidate -> RollbackPlan.Change? in
            guard let action = candidate.action else { return nil }
            return RollbackPlan.Change(
                action: action, path: candidate.path, entry: candidate.entry, liveKind: candidate.liveKind)
        }
        return RollbackPlan.Scope(path: path, changes: changes, directories: directories)
    }

    /// Bytes a scope's writes will fetch, walking added directories' trees.
    func bytes(of changes: [RollbackPlan.Change]) async throws -> UInt64 {
        var total: UInt64 = 0
        for change in changes where change.action != .remove && change.action != .metadata {
            if let entry = change.entry { total += try await bytes(of: entry) }
        }
        return total
    }

    private func bytes(of entry: TreeEntry) async throws -> UInt64 {
        guard entry.kind == .directory, let subtree = entry.subtree else {
            return entry.content.reduce(0) { $0 + $1.length }
        }
        var total: UInt64 = 0
        for child in try await source.tree(subtree).entries { total += try await bytes(of: child) }
        return total
    }

    private func compare(_ entry: TreeEntry, parent: Int32, name: [UInt8], path: [UInt8]) async throws {
        guard let live = DirectoryOps.status(parent, name) else {
            guard errno == ENOENT else {
                throw KeepError(.io, "cannot read: \(errorText(errno))", context: TreeEntry.displayName(of: path))
            }
            record(.add, entry, path: path, live: nil)
            return
        }
        let liveKind = FileMode.kind(live.st_mode)
        guard liveKind == entry.kind else {
            let action: RollbackPlan.Action =
                entry.kind == .directory || liveKind == .directory ? .typeChange : .replace
            record(action, entry, path: path, live: live)
            return
        }
        let sameMetadata = metadataMatches(entry, live: live, parent: parent, name: name)
        switch entry.kind {
        case .directory:
            directories.append((path, entry))
            if !sameMetadata { record(.metadata, entry, path: path, live: live) }
            try await compareChildren(of: entry, parent: parent, name: name, path: path)
        case .file:
            let same = contentMatches(entry, live: live, parent: parent, name: name)
            record(same ? (sameMetadata ? nil : .metadata) : .replace, entry, path: path, live: live)
        case .symlink:
            let same = DirectoryOps.readLink(parent, name) == entry.symlinkTarget
            record(same ? (sameMetadata ? nil : .metadata) : .replace, entry, path: path, live: live)
        default:
            let same =
                entry.kind == .characterDevice || entry.kind == .blockDevice
                ? UInt64(live.st_rdev) == entry.rdev : true
            record(same ? (sameMetadata ? nil : .metadata) : .replace, entry, path: path, live: live)
        }
    }

    private func compareChildren(of entry: TreeEntry, parent: Int32, name: [UInt8], path: [UInt8]) async throws {
        let descriptor = DirectoryOps.openDirectory(parent, name)
        guard descriptor >= 0 else {
            throw KeepError(.io, "cannot open: \(errorText(errno))", context: TreeEntry.displayName(of: path))
        }
        defer { close(descriptor) }
        guard let liveNames = DirectoryOps.names(descriptor) else {
            throw KeepError(.io, "cannot list: \(errorText(errno))", context: TreeEntry.displayName(of: path))
        }
        guard let children = await session.children(of: entry, path: path) else { return }
        let wanted = Set(children.map(\.name))
        for liveName in liveNames
        where !wanted.contains(liveName) && !liveName.starts(with: RollbackStager.stagingPrefix) {
            let kind = DirectoryOps.status(descriptor, liveName).flatMap { FileMode.kind($0.st_mode) }
            candidates.append(Candidate(action: .remove, path: joinPath(path, liveName), liveKind: kind))
        }
        for child in children {
            try await compare(child, parent: descriptor, name: child.name, path: joinPath(path, child.name))
        }
    }

    private func record(_ action: RollbackPlan.Action?, _ entry: TreeEntry, path: [UInt8], live: stat?) {
        let candidate = Candidate(
            action: action, path: path, entry: entry, liveKind: live.flatMap { FileMode.kind($0.st_mode) },
            liveInode: live.map { UInt64($0.st_ino) })
        if entry.kind != .directory, entry.hardLinkGroup != 0 {
            let key = LinkKey(group: entry.hardLinkGroup, device: entry.device, inode: entry.inode)
            groups[key, default: []].append(candidates.count)
            if groupContent[key] == nil { groupContent[key] = entry.content }
        } else if action == nil {
            return
        }
        candidates.append(candidate)
    }

    /// A hard-link group is rewritten whole when any member changes or the live members are not one
    /// inode, so the members end up linked to each other again.
    private func settleHardLinks() {
        for indices in groups.values {
            let members = indices.map { candidates[$0] }
            let inodes = Set(members.map(\.liveInode))
            let changed = members.contains { $0.action != nil && $0.action != .metadata }
            guard changed || inodes.count > 1 else { continue }
            for index in indices where candidates[index].action == nil || candidates[index].action == .metadata {
                candidates[index].action = .replace
            }
        }
    }

    private func metadataMatches(_ entry: TreeEntry, live: stat, parent: Int32, name: [UInt8]) -> Bool {
        let wanted = EntryMetadata(entry, accounts: &accounts)
        if entry.kind != .symlink, UInt32(live.st_mode) & 0o7777 != wanted.mode { return false }
        guard live.st_uid == wanted.uid, live.st_gid == wanted.gid,
            Int64(live.st_mtim.tv_sec) == wanted.mtimeSeconds, UInt32(live.st_mtim.tv_nsec) == wanted.mtimeNanoseconds
        else { return false }
        let attributes = ExtendedAttributeReader.read(path: DirectoryOps.procPath(parent, name)).attributes
        return attributes == entry.extendedAttributes
    }

    /// Size and mtime first; when both match, the live file is chunked and its ids compared, since
    /// an mtime can be set to anything.
    private func contentMatches(_ entry: TreeEntry, live: stat, parent: Int32, name: [UInt8]) -> Bool {
        guard UInt64(max(0, live.st_size)) == entry.size,
            Int64(live.st_mtim.tv_sec) == entry.modificationTime.seconds,
            UInt32(live.st_mtim.tv_nsec) == entry.modificationTime.nanoseconds
        else { return false }
        var expected = entry.content
        if entry.hardLinkGroup != 0, expected.isEmpty, entry.size > 0 {
            let key = LinkKey(group: entry.hardLinkGroup, device: entry.device, inode: entry.inode)
            guard let first = groupContent[key] else { return false }
            expected = first
        }
        return LiveFileHasher.extents(parent: parent, name: name, chunking: chunking) == expected
    }
}
