import KeepStore

/// What must be equal for a file to count as unchanged since the previous snapshot, so its chunk
/// list can be reused without reading it: size, mtime, ctime, inode and device.
///
/// ctime is included because tools can reset mtime, but not ctime.
public struct ChangeKey: Sendable, Hashable {
    public var size: UInt64
    public var modificationTime: FileTime
    public var changeTime: FileTime
    public var inode: UInt64
    public var device: UInt64

    /// A key from its parts.
    public init(size: UInt64, modificationTime: FileTime, changeTime: FileTime, inode: UInt64, device: UInt64) {
        self.size = size
        self.modificationTime = modificationTime
        self.changeTime = changeTime
        self.inode = inode
        self.device = device
    }

    /// The key of an entry, from a fresh walk or from the previous snapshot's tree.
    public init(_ entry: TreeEntry) {
        self.init(
            size: entry.size, modificationTime: entry.modificationTime, changeTime: entry.changeTime,
            inode: entry.inode, device: entry.device)
    }
}
