import Foundation
import KeepStore

/// The metadata a restore applies to one entry, with the owner already mapped to this system.
/// Codable because a staged rollback persists it for directories and metadata-only changes.
struct EntryMetadata: Codable, Sendable, Hashable {
    struct Attribute: Codable, Sendable, Hashable {
        var name: Data
        var value: Data
    }

    /// `TreeEntry.Kind` raw value.
    var kind: UInt8
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var mtimeSeconds: Int64
    var mtimeNanoseconds: UInt32
    var attributes: [Attribute]

    init(_ entry: TreeEntry, accounts: inout AccountResolver) {
        kind = entry.kind.rawValue
        mode = entry.mode
        uid = accounts.uid(name: entry.userName, recorded: entry.uid)
        gid = accounts.gid(name: entry.groupName, recorded: entry.gid)
        mtimeSeconds = entry.modificationTime.seconds
        mtimeNanoseconds = entry.modificationTime.nanoseconds
        attributes = entry.extendedAttributes.map { Attribute(name: Data($0.name), value: Data($0.value)) }
    }

    var isSymlink: Bool { kind == TreeEntry.Kind.symlink.rawValue }
}
