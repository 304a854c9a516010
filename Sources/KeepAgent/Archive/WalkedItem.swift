import Glibc
import KeepStore

/// One filesystem entry as the walker found it: where it is, its metadata as a `TreeEntry`
/// without content (no `subtree`, no `content` yet) and how to open it.
public struct WalkedItem: Sendable {
    /// The full path as raw bytes.
    public var path: [UInt8]
    /// The path relative to the source root (empty for the root itself).
    public var relativePath: [UInt8]
    /// Metadata; the visitor fills `content` (files) or `subtree` (directories).
    public var entry: TreeEntry
    /// For hard links: true on the first entry of its group, which must carry the content.
    /// Later members (`isFirstLink == false`, `entry.hardLinkGroup != 0`) are stored without content.
    public var isFirstLink: Bool
    /// A directory on another filesystem that `oneFileSystem` did not descend into.
    public var isMountPoint: Bool
    /// The directory fd the walk holds open and the name relative to it; valid only inside the callback.
    let parentDescriptor: Int32
    let openName: [UInt8]

    /// The printable path (non-UTF-8 bytes escaped).
    public var displayPath: String { TreeEntry.displayName(of: path) }

    /// Compare with `ChangeKey(previousEntry)` to skip reading an unchanged file.
    public var changeKey: ChangeKey { ChangeKey(entry) }

    /// Whether the visitor should read the file's data: a regular file that is not a later hard link.
    public var needsContent: Bool { entry.kind == .file && (entry.hardLinkGroup == 0 || isFirstLink) }

    /// Opens a regular file for reading without following symlinks, relative to its parent directory
    /// (no path races), and checks it is still the inode the walk saw. Call it only inside the
    /// visitor's `visit(file:)`.
    public func open() throws(PathError) -> OpenFile {
        let flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK
        let cName = DirectoryOps.cString(openName)
        var descriptor = openat(parentDescriptor, cName, flags | Self.noAccessTime)
        if descriptor < 0, errno == EPERM { descriptor = openat(parentDescriptor, cName, flags) }
        guard descriptor >= 0 else {
            throw PathError(path: displayPath, message: "cannot open: \(errorText(errno))", errorNumber: errno)
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            throw PathError(path: displayPath, message: "cannot stat: \(errorText(code))", errorNumber: code)
        }
        guard UInt64(status.st_ino) == entry.inode, UInt64(status.st_dev) == entry.device,
            status.st_mode & FileMode.typeMask == FileMode.regular
        else {
            close(descriptor)
            throw PathError(path: displayPath, message: "replaced by another file during the walk")
        }
        let size = UInt64(max(0, status.st_size))
        let ranges = SparseMap.dataRanges(descriptor: descriptor, size: size, allocatedBlocks: Int64(status.st_blocks))
        return OpenFile(descriptor: descriptor, size: size, dataRanges: ranges)
    }

    /// Linux O_NOATIME (not exported by Glibc without _GNU_SOURCE): backups should not touch atime.
    static let noAccessTime: Int32 = 0o1000000
}

/// `st_mode` file type bits (Linux values).
enum FileMode {
    static let typeMask: UInt32 = 0o170000
    static let regular: UInt32 = 0o100000
    static let directory: UInt32 = 0o040000
    static let symlink: UInt32 = 0o120000
    static let fifo: UInt32 = 0o010000
    static let characterDevice: UInt32 = 0o020000
    static let blockDevice: UInt32 = 0o060000
    static let socket: UInt32 = 0o140000

    static func kind(_ mode: UInt32) -> TreeEntry.Kind? {
        switch mode & typeMask {
        case regular: .file
        case directory: .directory
        case symlink: .symlink
        case fifo: .fifo
        case characterDevice: .characterDevice
        case blockDevice: .blockDevice
        case socket: .socket
        default: nil
        }
    }
}
