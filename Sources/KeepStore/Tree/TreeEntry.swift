import KeepCore

/// One name in a directory listing, with everything needed to recreate it and to notice changes.
///
/// Names are raw bytes because Linux file names are not necessarily UTF-8; `displayName` is the
/// printable form. Fields that do not apply to a kind stay at their zero value (an empty
/// `symlinkTarget` for a file, `nil` `subtree` for a symlink); `Tree` enforces that.
public struct TreeEntry: Sendable, Hashable {
    /// The file type, stored as one byte in the tree format.
    public enum Kind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case file = 1
        case directory = 2
        case symlink = 3
        case fifo = 4
        case characterDevice = 5
        case blockDevice = 6
        case socket = 7

        public var description: String {
            switch self {
            case .file: "file"
            case .directory: "directory"
            case .symlink: "symlink"
            case .fifo: "fifo"
            case .characterDevice: "character-device"
            case .blockDevice: "block-device"
            case .socket: "socket"
            }
        }
    }

    /// The raw name bytes (never empty, never `.`/`..`, no `/`, no NUL).
    public var name: [UInt8]
    public var kind: Kind
    /// Permission bits including setuid, setgid and sticky (`mode & 0o7777`).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// The owner's name at backup time, so restore can map by name; empty when unknown.
    public var userName: String
    /// The group's name at backup time; empty when unknown.
    public var groupName: String
    public var modificationTime: FileTime
    /// Recorded for change detection only: the kernel does not let restore set it.
    public var changeTime: FileTime
    public var inode: UInt64
    public var device: UInt64
    /// Bytes of a regular file (logical size, holes included) or of a symlink target; 0 otherwise.
    public var size: UInt64
    /// Where a symlink points, as raw bytes; may point anywhere (restore confines it). Empty otherwise.
    public var symlinkTarget: [UInt8]
    /// The device number of a character or block device; 0 otherwise.
    public var rdev: UInt64
    /// 0 when not hard-linked; otherwise all entries of one snapshot with the same group are one inode,
    /// and only the first one (in walk order) carries the content.
    public var hardLinkGroup: UInt64
    /// Extended attributes sorted by name (POSIX ACLs arrive as `system.posix_acl_*`).
    public var extendedAttributes: [ExtendedAttribute]
    /// The tree object of a directory's children.
    public var subtree: ChunkID?
    /// The data of a regular file; holes between extents are implied zeros.
    public var content: [Extent]

    /// Creates an entry; every optional part starts empty so callers set only what applies.
    public init(
        name: [UInt8], kind: Kind, mode: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0,
        userName: String = "", groupName: String = "",
        modificationTime: FileTime = FileTime(), changeTime: FileTime = FileTime(),
        inode: UInt64 = 0, device: UInt64 = 0, size: UInt64 = 0, symlinkTarget: [UInt8] = [],
        rdev: UInt64 = 0, hardLinkGroup: UInt64 = 0, extendedAttributes: [ExtendedAttribute] = [],
        subtree: ChunkID? = nil, content: [Extent] = []
    ) {
        self.name = name
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
        self.modificationTime = modificationTime
        self.changeTime = changeTime
        self.inode = inode
        self.device = device
        self.size = size
        self.symlinkTarget = symlinkTarget
        self.rdev = rdev
        self.hardLinkGroup = hardLinkGroup
        self.extendedAttributes = extendedAttributes
        self.subtree = subtree
        self.content = content
    }
}

/// A timestamp with nanosecond precision, as `struct timespec` carries it.
public struct FileTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970 UTC; negative for older files.
    public var seconds: Int64
    /// 0 ..< 1_000_000_000.
    public var nanoseconds: UInt32

    /// A time; the default is the epoch.
    public init(seconds: Int64 = 0, nanoseconds: UInt32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (lhs: FileTime, rhs: FileTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    public var description: String { "\(seconds).\(nanoseconds)" }
}

/// One extended attribute: raw name bytes (e.g. `user.comment`) and raw value bytes.
public struct ExtendedAttribute: Sendable, Hashable {
    public var name: [UInt8]
    public var value: [UInt8]

    /// An attribute from its name and value.
    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }

    /// Convenience for text names such as `user.comment`.
    public init(name: String, value: [UInt8]) {
        self.init(name: Array(name.utf8), value: value)
    }
}
