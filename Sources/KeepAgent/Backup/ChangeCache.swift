import Foundation
import KeepCore
import KeepStore

/// What the agent remembers of its last committed snapshot: for every regular file, the change key
/// (size, mtime, ctime, inode, device) and its content. A file whose key is unchanged is not read again.
///
/// Stored in the state directory next to the root tree id it belongs to; it is used only when the
/// controller names that same tree as the parent of the next backup. The file is binary (see
/// `ChangeCacheFormat`): a JSON cache of 30,000 files took longer to decode than the walk it saves.
struct ChangeCache: Sendable {
    var root: ChunkID?
    var files: [Data: Record] = [:]

    struct Record: Sendable, Hashable {
        var size: UInt64
        var mtime: Int64
        var mtimeNanos: UInt32
        var ctime: Int64
        var ctimeNanos: UInt32
        var inode: UInt64
        var device: UInt64
        var extents: [Extent]

        init(_ entry: TreeEntry) {
            size = entry.size
            mtime = entry.modificationTime.seconds
            mtimeNanos = entry.modificationTime.nanoseconds
            ctime = entry.changeTime.seconds
            ctimeNanos = entry.changeTime.nanoseconds
            inode = entry.inode
            device = entry.device
            extents = entry.content
        }

        init(
            size: UInt64, mtime: Int64, mtimeNanos: UInt32, ctime: Int64, ctimeNanos: UInt32, inode: UInt64,
            device: UInt64, extents: [Extent]
        ) {
            self.size = size
            self.mtime = mtime
            self.mtimeNanos = mtimeNanos
            self.ctime = ctime
            self.ctimeNanos = ctimeNanos
            self.inode = inode
            self.device = device
            self.extents = extents
        }

        func matches(_ entry: TreeEntry) -> Bool {
            size == entry.size && mtime == entry.modificationTime.seconds && mtimeNanos == entry.modificationTime.nanoseconds
                && ctime == entry.changeTime.seconds && ctimeNanos == entry.changeTime.nanoseconds
                && inode == entry.inode && device == entry.device
        }

        /// The file's content as recorded (kept optional for the archiver's pattern match).
        var content: [Extent]? { extents }
    }

    static func path(in stateDirectory: String) -> String { stateDirectory + "/change-cache.bin" }

    /// The cache, if it belongs to `parent`; otherwise an empty one (every file is read). A damaged or
    /// older-format file is ignored the same way.
    static func load(stateDirectory: String, parent: ChunkID?) -> ChangeCache {
        guard let parent, let data = FileManager.default.contents(atPath: path(in: stateDirectory)),
            let cache = ChangeCacheFormat.decode([UInt8](data)), cache.root == parent
        else { return ChangeCache() }
        return cache
    }

    /// Writes the cache atomically (temporary file, then rename).
    func save(stateDirectory: String) throws {
        guard root != nil else { return }
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let data = Data(ChangeCacheFormat.encode(self))
        try data.write(to: URL(fileURLWithPath: Self.path(in: stateDirectory)), options: .atomic)
        // The JSON cache of earlier versions is never read again.
        try? FileManager.default.removeItem(atPath: stateDirectory + "/change-cache.json")
    }
}
