import COpenSSL
import KeepCore

/// Moves PEM text in and out of OpenSSL through memory BIOs, so no OpenSSL object ever touches a
/// file descriptor of ours.
enum PEMCoding {
    /// Runs `body` with a read-only memory BIO over the UTF-8 bytes of `text`.
    static func withReadBIO<T>(_ text: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= Int(Int32.max) else {
            throw KeepError(.crypto, "empty or oversized PEM text (\(bytes.count) bytes)")
        }
        return try bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                throw PKIError.openSSL("could not allocate a memory BIO")
            }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// Runs `body` with an empty memory BIO and returns what it wrote; `body` returns OpenSSL's
    /// status (1 on success).
    static func write(_ what: String, _ body: (OpaquePointer) -> Int32) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw PKIError.openSSL("could not allocate a memory BIO") }
        defer { BIO_free(bio) }
        guard body(bio) == 1 else { throw PKIError.openSSL("could not PEM-encode the \(what)") }
        var data: UnsafeMutablePointer<CChar>?
        let length = keep_x509_bio_mem_data(bio, &data)
        guard let data, length > 0 else { throw PKIError.openSSL("PEM encoding of the \(what) came out empty") }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The contents of a PEM file, with a clear error naming the file when it cannot be read.
    static func readFile(_ path: String, what: String) throws -> String {
        do {
            return try PKIFileWriter.readText(path)
        } catch let error as KeepError {
            throw KeepError(error.code, "cannot read the \(what)", context: path, hint: error.hint ?? error.reason)
        }
    }
}
