/// An error an operator can act on: a stable code, what went wrong, where, and what to do next.
///
/// Messages never contain keys or passphrases.
public struct KeepError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Code
    /// What went wrong, in one sentence.
    public var reason: String
    /// Where: a host, a file, a job.
    public var context: String?
    /// What to do next.
    public var hint: String?

    public init(_ code: Code, _ reason: String, context: String? = nil, hint: String? = nil) {
        self.code = code
        self.reason = reason
        self.context = context
        self.hint = hint
    }

    public var description: String {
        var text = reason
        if let context { text += " [\(context)]" }
        if let hint { text += " — \(hint)" }
        return text
    }

    /// Stable error codes; the numeric values are part of the wire protocol (`Protocol/SPEC.md`).
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let configuration = Code(rawValue: 1)
        public static let io = Code(rawValue: 2)
        public static let crypto = Code(rawValue: 3)
        public static let tls = Code(rawValue: 4)
        public static let protocolViolation = Code(rawValue: 5)
        public static let versionMismatch = Code(rawValue: 6)
        public static let permissionDenied = Code(rawValue: 7)
        public static let identityMismatch = Code(rawValue: 8)
        public static let notFound = Code(rawValue: 9)
        public static let conflict = Code(rawValue: 10)
        public static let unavailable = Code(rawValue: 11)
        public static let integrity = Code(rawValue: 12)
        public static let diskFull = Code(rawValue: 13)
        public static let internalError = Code(rawValue: 14)
        public static let hostOffline = Code(rawValue: 15)
        public static let jobFailed = Code(rawValue: 16)

        public var description: String {
            switch self {
            case .configuration: "configuration"
            case .io: "io"
            case .crypto: "crypto"
            case .tls: "tls"
            case .protocolViolation: "protocol-violation"
            case .versionMismatch: "version-mismatch"
            case .permissionDenied: "permission-denied"
            case .identityMismatch: "identity-mismatch"
            case .notFound: "not-found"
            case .conflict: "conflict"
            case .unavailable: "unavailable"
            case .integrity: "integrity"
            case .diskFull: "disk-full"
            case .internalError: "internal"
            case .hostOffline: "host-offline"
            case .jobFailed: "job-failed"
            default: "error-\(rawValue)"
            }
        }
    }
}
