import KeepCore

/// Why bytes are not a valid tree object, or why entries cannot form one.
///
/// A tree comes from the store and may have been written by a hostile or broken agent, so every
/// case names what was seen; none of them is recoverable by retrying.
public enum TreeFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The object does not start with `KEEPTREE`.
    case badMagic
    /// A version this build does not read.
    case unsupportedVersion(UInt16)
    /// The object ends before a field of `needed` bytes at `offset`.
    case truncated(offset: Int, needed: Int)
    /// A count or length is larger than the format allows.
    case limitExceeded(field: String, value: UInt64, limit: UInt64)
    /// A name that could escape or confuse a restore (empty, `.`, `..`, `/`, NUL, too long).
    case hostileName(displayName: String, reason: String)
    /// Entry names are not strictly increasing at this index (unsorted or duplicate).
    case unsortedNames(index: Int, displayName: String)
    /// A field with a value no valid entry has.
    case invalidField(entry: String, field: String, reason: String)
    /// Bytes left after the last entry.
    case trailingBytes(count: Int)

    public var description: String {
        switch self {
        case .badMagic: "not a tree object (bad magic)"
        case .unsupportedVersion(let version): "tree format version \(version) is not supported"
        case .truncated(let offset, let needed): "tree object truncated: \(needed) bytes needed at offset \(offset)"
        case .limitExceeded(let field, let value, let limit): "tree field \(field) is \(value), limit \(limit)"
        case .hostileName(let name, let reason): "refused entry name \"\(name)\": \(reason)"
        case .unsortedNames(let index, let name): "entry \(index) \"\(name)\" is not after the previous name"
        case .invalidField(let entry, let field, let reason): "entry \"\(entry)\" field \(field): \(reason)"
        case .trailingBytes(let count): "\(count) unexpected bytes after the last tree entry"
        }
    }

    /// The same problem as an operator-facing `KeepError`.
    public var keepError: KeepError {
        KeepError(.integrity, description, hint: "the tree object is corrupt or hostile; verify the snapshot")
    }
}
