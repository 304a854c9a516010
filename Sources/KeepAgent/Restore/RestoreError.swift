/// Why a part of a restore was refused. Recorded per path in the summary (as a `PathError`) while
/// the rest of the restore goes on.
public enum RestoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A tree lists a name a restore must never create (`..`, `.`, empty, with `/` or NUL) or lists
    /// names out of order or twice; none of that directory's children are restored.
    case hostileTree(path: String, reason: String)
    /// Something not a directory (often a symlink) sits where the snapshot has a directory; it is
    /// neither followed nor replaced.
    case notADirectory(path: String)
    /// A data chunk's length differs from the length its `ChunkRef` promised.
    case chunkLengthMismatch(path: String, expected: UInt32, received: Int)
    /// A later hard link whose first member (which carries the content) was not restored.
    case missingLinkOrigin(path: String)

    public var path: String {
        switch self {
        case .hostileTree(let path, _), .notADirectory(let path), .chunkLengthMismatch(let path, _, _),
            .missingLinkOrigin(let path):
            path
        }
    }

    public var description: String {
        switch self {
        case .hostileTree(let path, let reason):
            "\(path): refused the directory's contents, its tree is hostile or corrupt (\(reason))"
        case .notADirectory(let path):
            "\(path): exists and is not a directory; not followed and not replaced (move it away and retry)"
        case .chunkLengthMismatch(let path, let expected, let received):
            "\(path): a data chunk has \(received) bytes instead of \(expected); the file was not restored"
        case .missingLinkOrigin(let path):
            "\(path): hard link whose content lives at another path that was not restored; restore both"
        }
    }

    /// The same problem as a per-path error for the summary.
    var pathError: PathError { PathError(path: path, message: description) }
}
