import KeepCore

/// Everything that can go wrong on a Keep TLS connection, with a reason an operator understands and a hint
/// saying what to do next. Fired through `fireErrorCaught` by ``TLSHandler`` and thrown by ``TLSContext``.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    /// The category of failure, stable enough to branch on (for example to decide whether to retry).
    public enum Kind: Sendable, Hashable {
        /// The peer's chain does not lead to the Keep CA (or its signature is wrong).
        case untrustedCertificate
        /// The peer's certificate (or one in its chain) has expired.
        case expiredCertificate
        /// The peer's certificate is not valid yet (clock skew or a future start date).
        case notYetValidCertificate
        /// The peer's certificate is listed in the Keep CA's revocation list.
        case revokedCertificate
        /// The peer did not present a certificate; Keep requires mutual authentication.
        case noPeerCertificate
        /// The certificate subject does not carry a Keep identity (`<role>:<name>`, plus the pool for agents).
        case invalidIdentity
        /// The certificate carries a role this endpoint does not accept.
        case roleNotAllowed
        /// The server certificate does not name the host we dialled.
        case serverNameMismatch
        /// The peer did not finish the handshake in time.
        case handshakeTimeout
        /// The peer does not speak TLS at all (plain HTTP, random bytes, a different protocol).
        case notTLS
        /// Any other TLS protocol failure (version, cipher, decode error, unexpected message, …).
        case protocolFailure
        /// The connection was closed before the handshake completed.
        case closedDuringHandshake
        /// Our own certificate, key, CA or CRL file cannot be used.
        case configuration
    }

    /// The category of failure.
    public let kind: Kind
    /// What went wrong, in one sentence.
    public let reason: String
    /// What to do next.
    public let hint: String

    /// Creates an error; `reason` and `hint` must never contain key material.
    public init(_ kind: Kind, _ reason: String, hint: String) {
        self.kind = kind
        self.reason = reason
        self.hint = hint
    }

    public var description: String { "TLS: \(reason) — \(hint)" }

    /// The same failure as a ``KeepError``, for code that reports errors uniformly.
    public var keepError: KeepError {
        let code: KeepError.Code =
            switch kind {
            case .configuration: .configuration
            case .invalidIdentity, .roleNotAllowed, .serverNameMismatch: .identityMismatch
            case .noPeerCertificate, .untrustedCertificate, .expiredCertificate, .notYetValidCertificate,
                .revokedCertificate:
                .permissionDenied
            default: .tls
            }
        return KeepError(code, reason, hint: hint)
    }
}
