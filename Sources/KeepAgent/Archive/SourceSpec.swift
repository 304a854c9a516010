/// One thing to back up on a host: a directory (or file) and which parts of it to keep.
///
/// Patterns are globs on the path relative to `path`, `/`-separated, without a leading `/`
/// (see `PathGlob`). An excluded directory is pruned with everything below it. When `include` is
/// not empty, only entries matching an include pattern (and everything below a matching
/// directory) are kept, together with the directories leading to them.
public struct SourceSpec: Sendable, Hashable, Codable {
    /// Absolute path of the source root.
    public var path: String
    /// Globs of paths to keep; empty keeps everything.
    public var include: [String]
    /// Globs of paths to leave out; they win over `include`.
    public var exclude: [String]
    /// Do not descend into other filesystems (mount points are recorded as empty directories).
    public var oneFileSystem: Bool

    /// A source with optional filters.
    public init(path: String, include: [String] = [], exclude: [String] = [], oneFileSystem: Bool = false) {
        self.path = path
        self.include = include
        self.exclude = exclude
        self.oneFileSystem = oneFileSystem
    }
}
