import KeepProtocol
import KeepStore

extension TreeEntry {
    /// The entry as `keepctl ls` shows it.
    var wire: Keep_V1_TreeEntryInfo {
        .with {
            $0.name = displayName
            $0.type = kind.wire
            $0.mode = mode & 0o7777
            $0.uid = uid
            $0.gid = gid
            $0.user = userName
            $0.group = groupName
            $0.size = size
            $0.mtime = modificationTime.seconds * 1_000_000_000 + Int64(modificationTime.nanoseconds)
            $0.linkTarget = kind == .symlink ? TreeEntry.displayName(of: symlinkTarget) : ""
        }
    }
}

extension TreeEntry.Kind {
    var wire: Keep_V1_EntryType {
        switch self {
        case .file: .file
        case .directory: .directory
        case .symlink: .symlink
        case .fifo: .fifo
        case .characterDevice: .charDevice
        case .blockDevice: .blockDevice
        case .socket: .socket
        }
    }
}
