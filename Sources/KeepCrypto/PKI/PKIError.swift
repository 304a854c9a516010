import COpenSSL
import KeepCore

/// Builds `KeepError`s for failed OpenSSL calls of the PKI code, with OpenSSL's own error queue as
/// context. OpenSSL's messages name functions and reasons, never key material.
enum PKIError {
    /// A `.crypto` error for a failed OpenSSL call; drains the thread's OpenSSL error queue.
    static func openSSL(_ reason: String, context: String? = nil, hint: String? = nil) -> KeepError {
        let details = [context, drainErrorQueue()].compactMap { $0 }
        return KeepError(.crypto, reason, context: details.isEmpty ? nil : details.joined(separator: "; "), hint: hint)
    }

    /// The queued OpenSSL errors as one line, oldest first, or `nil` when the queue is empty.
    static func drainErrorQueue() -> String? {
        let messages = OpenSSLErrorQueue.drain().map(\.text)
        return messages.isEmpty ? nil : messages.joined(separator: "; ")
    }
}
