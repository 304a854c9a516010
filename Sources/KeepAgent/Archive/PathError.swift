import KeepCore

/// A file or directory the walk could not read (permission denied, vanished, changed while being
/// read). Reported to the visitor; the walk continues with the next entry.
public struct PathError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The full path, printable (non-UTF-8 bytes escaped as `\xNN`).
    public var path: String
    /// What went wrong, e.g. `cannot open directory: Permission denied`.
    public var message: String
    /// The `errno` behind it, when there is one.
    public var errorNumber: Int32?

    /// An error about `path`.
    public init(path: String, message: String, errorNumber: Int32? = nil) {
        self.path = path
        self.message = message
        self.errorNumber = errorNumber
    }

    public var description: String { "\(path): \(message)" }

    /// The same problem as an operator-facing `KeepError`.
    public var keepError: KeepError {
        let code: KeepError.Code = errorNumber == 13 || errorNumber == 1 ? .permissionDenied : .io
        return KeepError(code, message, context: path, hint: "check the path's permissions or exclude it")
    }
}
