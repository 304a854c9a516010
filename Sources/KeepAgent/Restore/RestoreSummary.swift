/// What a restore did (or, for a dry run, would do).
public struct RestoreSummary: Sendable, Hashable {
    /// Regular files written (later hard links included).
    public var files = 0
    /// Directories created or updated.
    public var directories = 0
    /// Symlinks created.
    public var symlinks = 0
    /// Fifos, devices and sockets created.
    public var others = 0
    /// Bytes of file data written (holes of sparse files not counted).
    public var bytes: UInt64 = 0
    /// Paths that could not be restored, and why; the restore went on with the others.
    public var errors: [PathError] = []
    /// Dry run only: every path that would be written, with its kind (`file /etc/hosts`).
    public var wouldWrite: [String] = []

    /// An empty summary.
    public init() {}
}
