import KeepCore

/// Why a pack or one of its objects cannot be read. Every case names the pack (its id) and, where it
/// applies, the object, so an operator knows which backup data is affected.
public enum PackError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes do not end with a pack trailer (truncated upload, wrong file).
    case notAPack(pack: String, reason: String)
    /// The pack was written by a newer format version.
    case unsupportedVersion(pack: String, version: UInt32)
    /// The trailer index does not decrypt: wrong repository key or damaged bytes.
    case unreadableIndex(pack: String)
    /// The index decrypted but is inconsistent (a bug in the writer, never mere corruption).
    case malformedIndex(pack: String, reason: String)
    /// One object fails decryption, decompression or its SHA-256 check.
    case corruptObject(id: ChunkID, pack: String, reason: String)
    /// An object is too large for a pack entry.
    case objectTooLarge(id: ChunkID, bytes: Int)

    public var description: String {
        switch self {
        case .notAPack(let pack, let reason): "pack \(pack) is not a Keep pack: \(reason)"
        case .unsupportedVersion(let pack, let version):
            "pack \(pack) has format version \(version); this build reads version \(PackFormat.version)"
        case .unreadableIndex(let pack): "pack \(pack): index does not decrypt (wrong repository key or damaged)"
        case .malformedIndex(let pack, let reason): "pack \(pack): malformed index: \(reason)"
        case .corruptObject(let id, let pack, let reason): "object \(id) in pack \(pack) is corrupt: \(reason)"
        case .objectTooLarge(let id, let bytes): "object \(id) of \(bytes) bytes does not fit a pack entry"
        }
    }

    /// The same failure as an operator-facing `KeepError`, with a next step.
    public var keepError: KeepError {
        switch self {
        case .unsupportedVersion:
            KeepError(.versionMismatch, description, hint: "upgrade keep-controller to read this repository")
        case .objectTooLarge:
            KeepError(.internalError, description, hint: "chunks are at most a few MiB; report this as a bug")
        default:
            KeepError(.integrity, description,
                      hint: "run `keepctl verify`; data in this pack must be restored from another backup set")
        }
    }
}
