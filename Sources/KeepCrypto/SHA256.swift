import COpenSSL
import KeepCore

/// The SHA-256 implementation fetched from the default provider once per process.
///
/// `EVP_MD_fetch` is comparatively slow (a provider lookup under a lock); fetching once and reusing the
/// immutable `EVP_MD` keeps the per-call cost of hashing a chunk negligible. OpenSSL documents fetched
/// algorithm objects as safe to share between threads.
final class FetchedDigest: @unchecked Sendable {
    let md: OpaquePointer

    static let sha256 = FetchedDigest()

    private init() {
        // A fetch only fails when the default provider is missing, which makes OpenSSL unusable anyway;
        // EVP_sha256() then still gives the built-in (implicitly fetched) implementation.
        md = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()
    }

    deinit { EVP_MD_free(md) }
}

/// SHA-256 of a whole buffer in one call: the id of every chunk and tree (`ChunkID`).
public enum SHA256 {
    /// Hashes `bytes` with OpenSSL (SHA-NI accelerated where the CPU has it).
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> ChunkID {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { out in
            EVP_Digest(bytes.baseAddress, bytes.count, out.baseAddress, &length, FetchedDigest.sha256.md, nil)
        }
        // EVP_Digest only fails on allocation failure; a process out of memory cannot continue safely.
        precondition(ok == 1 && length == 32, "OpenSSL EVP_Digest(SHA-256) failed")
        return ChunkID(digest32: digest)
    }

    /// Hashes an array; see `hash(_:)` for buffers.
    public static func hash(_ bytes: [UInt8]) -> ChunkID {
        bytes.withUnsafeBytes { hash($0) }
    }
}

/// Incremental SHA-256, for data that arrives in pieces (a file streamed through the chunker, a pack
/// being written). `finalize()` returns the digest and resets the hasher so it can be reused.
///
/// Not thread-safe: one hasher belongs to one task at a time.
public final class SHA256Hasher {
    private let context: OpaquePointer

    /// Starts an empty hash.
    public init() {
        // EVP_MD_CTX_new fails only when malloc does; there is nothing sensible left to do then.
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("OpenSSL EVP_MD_CTX_new failed") }
        self.context = context
        reset()
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Feeds more bytes into the hash.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        let ok = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
        precondition(ok == 1, "OpenSSL EVP_DigestUpdate(SHA-256) failed")
    }

    /// Feeds an array into the hash.
    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the digest of everything fed since the start (or the last `finalize()`), then resets.
    public func finalize() -> ChunkID {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        precondition(ok == 1 && length == 32, "OpenSSL EVP_DigestFinal_ex(SHA-256) failed")
        reset()
        return ChunkID(digest32: digest)
    }

    private func reset() {
        let ok = EVP_DigestInit_ex2(context, FetchedDigest.sha256.md, nil)
        precondition(ok == 1, "OpenSSL EVP_DigestInit_ex2(SHA-256) failed")
    }
}

extension ChunkID {
    /// Wraps a digest that SHA-256 guarantees to be 32 bytes.
    init(digest32 digest: [UInt8]) {
        guard let id = ChunkID(bytes: digest) else { preconditionFailure("SHA-256 digest is not 32 bytes") }
        self = id
    }
}
