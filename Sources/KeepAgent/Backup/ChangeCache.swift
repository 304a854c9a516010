import Foundation
import KeepCore
import KeepStore

/// What the agent remembers of its last committed snapshot: for every regular file, the change key
/// (size, mtime, ctime, inode, device) and its content. A file whose key is unchanged is not read again.
///
/// Stored in the state directory next to the root tree id it belongs to; it is used only when the
/// controller names that same tree as the parent of the next backup.
struct ChangeCache: Sendable {
    var root: ChunkID?
    var files: [Data: Record] = [:]

    struct Record: Sendable, Codable {
        var size: UInt64
        var mtime: Int64
        var mtimeNanos: UInt32
        var ctime: Int64
        var ctimeNanos: UInt32
        var inode: UInt64
        var device: UInt64
        var extents: [CachedExtent]

        init(_ entry: TreeEntry) {
            size = entry.size
            mtime = entry.modificationTime.seconds
            mtimeNanos = entry.modificationTime.nanoseconds
            ctime = entry.changeTime.seconds
            ctimeNanos = entry.changeTime.nanoseconds
            inode = entry.inode
            device = entry.device
            extents = entry.content.map { CachedExtent(offset: $0.offset, chunks: $0.chunks.map { [$0.id.hex, String($0.length)] }) }
        }

        func matches(_ entry: TreeEntry) -> Bool {
            size == entry.size && mtime == entry.modificationTime.seconds && mtimeNanos == entry.modificationTime.nanoseconds
                && ctime == entry.changeTime.seconds && ctimeNanos == entry.changeTime.nanoseconds
                && inode == entry.inode && device == entry.device
        }

        var content: [Extent]? {
            var result: [Extent] = []
            for extent in extents {
                var chunks: [ChunkRef] = []
                for pair in extent.chunks {
                    guard pair.count == 2, let id = ChunkID(hex: pair[0]), let length = UInt32(pair[1]) else { return nil }
                    chunks.append(ChunkRef(id: id, length: length))
                }
                result.append(Extent(offset: extent.offset, chunks: chunks))
            }
            return result
        }
    }

    struct CachedExtent: Sendable, Codable {
        var offset: UInt64
        var chunks: [[String]]
    }

    private struct File: Codable {
        var root: String
        var files: [Data: Record]
    }

    static func path(in stateDirectory: String) -> String { stateDirectory + "/change-cache.json" }

    /// The cache, if it belongs to `parent`; otherwise an empty one (every file is read).
    static func load(stateDirectory: String, parent: ChunkID?) -> ChangeCache {
        guard let parent, let data = FileManager.default.contents(atPath: path(in: stateDirectory)),
            let file = try? JSONDecoder().decode(File.self, from: data), file.root == parent.hex
        else { return ChangeCache() }
        return ChangeCache(root: parent, files: file.files)
    }

    /// Writes the cache atomically (temporary file, then rename).
    func save(stateDirectory: String) throws {
        guard let root else { return }
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let data = try JSONEncoder().encode(File(root: root.hex, files: files))
        try data.write(to: URL(fileURLWithPath: Self.path(in: stateDirectory)), options: .atomic)
    }
}
