import COpenSSL

/// Why a primitive of `KeepCrypto` failed. The cases say what happened; none carries key material.
public enum CryptoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A sealed box did not verify: the key is wrong or the bytes were altered. Nothing was decrypted.
    case authenticationFailed
    /// A symmetric key must be exactly 32 bytes; the given number of bytes is carried.
    case invalidKeyLength(Int)
    /// A sealed box is shorter than nonce plus tag (28 bytes), so it cannot be one.
    case malformedSealedBox(length: Int)
    /// A parameter is outside what the primitive accepts (for example scrypt's N not a power of two).
    case invalidParameter(String)
    /// OpenSSL reported a failure; `operation` names the call, `detail` is OpenSSL's error string.
    case openSSL(operation: String, detail: String)

    public var description: String {
        switch self {
        case .authenticationFailed:
            "authentication failed: wrong key or altered data"
        case .invalidKeyLength(let count):
            "a symmetric key must be 32 bytes, got \(count)"
        case .malformedSealedBox(let length):
            "sealed box of \(length) bytes is shorter than nonce and tag (28 bytes)"
        case .invalidParameter(let reason):
            "invalid parameter: \(reason)"
        case .openSSL(let operation, let detail):
            "OpenSSL \(operation) failed: \(detail)"
        }
    }
}

extension CryptoError {
    /// Builds the error for a failed OpenSSL call and drains this thread's OpenSSL error queue,
    /// so that a later failure does not report stale entries.
    static func failedCall(_ operation: String) -> CryptoError {
        let messages = OpenSSLErrorQueue.drain().map(\.text)
        return .openSSL(operation: operation, detail: messages.isEmpty ? "no detail" : messages.joined(separator: "; "))
    }
}
