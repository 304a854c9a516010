import KeepCore
import KeepStore

/// What a rollback would change under each snapshot path on this host. Computing it changes
/// nothing; `RollbackStager.prepare(_:jobID:)` stages it and `commit(_:)` applies it.
public struct RollbackPlan: Sendable {
    /// What happens to one live path.
    public enum Action: String, Sendable, Hashable, Codable {
        /// Absent live: created from the snapshot (a directory with everything below it).
        case add
        /// Content (or symlink target, device number, hard-link structure) differs: replaced whole.
        case replace
        /// Present live, absent in the snapshot: removed (a directory with everything below it).
        case remove
        /// Same content, different mode, owner, times or extended attributes.
        case metadata
        /// A directory where the snapshot has something else, or the other way round: the live one
        /// is removed, then the snapshot's put in its place.
        case typeChange
    }

    /// One change at one path.
    public struct Change: Sendable, Hashable {
        public var action: Action
        /// Absolute path as raw bytes (`/srv/data/app.conf`).
        public var path: [UInt8]
        /// The snapshot's entry (`nil` for `.remove`).
        public var entry: TreeEntry?
        /// What is there now (`nil` for `.add`).
        public var liveKind: TreeEntry.Kind?

        /// The printable path.
        public var displayPath: String { TreeEntry.displayName(of: path) }
    }

    /// The changes under one snapshot path, in walk order (a directory before its children).
    public struct Scope: Sendable {
        /// The snapshot path (`/etc`).
        public var path: [UInt8]
        public var changes: [Change]
        /// Every directory present both live and in the snapshot: their metadata is applied last.
        var directories: [(path: [UInt8], entry: TreeEntry)]
    }

    /// The snapshot's root tree.
    public var snapshot: ChunkID
    public var scopes: [Scope]
    /// File data that prepare will fetch and write (holes not counted).
    public var bytesToWrite: UInt64

    /// All changes of all scopes.
    public var changes: [Change] { scopes.flatMap(\.changes) }
    /// True when the live filesystem already matches the snapshot.
    public var isEmpty: Bool { scopes.allSatisfy { $0.changes.isEmpty } }

    /// How many changes of each action.
    public func count(_ action: Action) -> Int {
        scopes.reduce(0) { $0 + $1.changes.filter { $0.action == action }.count }
    }
}
