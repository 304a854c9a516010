import Foundation
import Glibc
import KeepCore
import KeepStore

/// The top of a snapshot: the directories leading from `/` to each source, with their real metadata,
/// so that `/srv/data` and `/etc` appear at their own paths.
struct SnapshotRoot {
    private final class Node {
        var entry: TreeEntry?
        var children: [[UInt8]: Node] = [:]
    }

    private let top = Node()

    /// Places the walked root entry of a source at its absolute path.
    mutating func add(_ entry: TreeEntry, at path: String) {
        var node = top
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            let name = Array(component.utf8)
            if let child = node.children[name] {
                node = child
            } else {
                let child = Node()
                child.entry = Self.directoryEntry(path: prefix, name: name)
                node.children[name] = child
                node = child
            }
        }
        var placed = entry
        placed.name = node.entry?.name ?? entry.name
        node.entry = placed
        if placed.kind != .directory { node.children = [:] }
    }

    /// Stores the trees of the leading directories and returns the root tree's id.
    func store(using uploader: Uploader) async throws -> ChunkID {
        try await Self.store(top, uploader: uploader)
    }

    private static func store(_ node: Node, uploader: Uploader) async throws -> ChunkID {
        var entries: [TreeEntry] = []
        for child in node.children.values {
            guard var entry = child.entry else { continue }
            if entry.kind == .directory && entry.subtree == nil {
                entry.subtree = try await store(child, uploader: uploader)
            }
            entries.append(entry)
        }
        return try await uploader.add(try Tree(entries: entries).encode(), type: .tree)
    }

    /// Metadata of a directory on the way to a source (no content of its own is backed up).
    private static func directoryEntry(path: String, name: [UInt8]) -> TreeEntry {
        var status = stat()
        guard lstat(path, &status) == 0 else { return TreeEntry(name: name, kind: .directory, mode: 0o755) }
        return TreeEntry(
            name: name, kind: .directory, mode: UInt32(status.st_mode) & 0o7777, uid: status.st_uid, gid: status.st_gid,
            modificationTime: FileTime(seconds: Int64(status.st_mtim.tv_sec), nanoseconds: UInt32(status.st_mtim.tv_nsec)),
            changeTime: FileTime(seconds: Int64(status.st_ctim.tv_sec), nanoseconds: UInt32(status.st_ctim.tv_nsec)),
            inode: UInt64(status.st_ino), device: UInt64(status.st_dev))
    }
}
