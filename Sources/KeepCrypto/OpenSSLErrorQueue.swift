import COpenSSL

/// Reads and clears the calling thread's OpenSSL error queue, so one failure never leaks into the next
/// connection handled on the same thread.
enum OpenSSLErrorQueue {
    /// One entry of the queue: the library's reason code and its text.
    struct Entry {
        let code: UInt
        var reason: Int32 { keep_ERR_GET_REASON(code) }
        var library: Int32 { keep_ERR_GET_LIB(code) }
        var text: String {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Returns every queued error, oldest first, and leaves the queue empty.
    static func drain() -> [Entry] {
        var entries: [Entry] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            entries.append(Entry(code: code))
        }
        ERR_clear_error()
        return entries
    }

    /// The queued errors as one line of text (for configuration errors), clearing the queue.
    static func drainDescription() -> String {
        let texts = drain().map(\.text)
        return texts.isEmpty ? "no detail from OpenSSL" : texts.joined(separator: "; ")
    }
}
