/// What a rollback commit did on this host.
public struct RollbackResult: Sendable, Hashable {
    /// Staged entries renamed into place (files, symlinks, whole new directories).
    public var moved = 0
    /// Live entries removed because the snapshot lacks them (or because their type changed).
    public var removed = 0
    /// Entries whose metadata was set (metadata-only changes and every directory).
    public var metadataApplied = 0
    /// Paths that could not be committed; the staging directory is kept so a commit can be retried.
    public var errors: [PathError] = []

    /// An empty result.
    public init() {}
}
