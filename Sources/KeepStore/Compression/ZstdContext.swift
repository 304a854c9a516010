import CZstd
import KeepCore

/// A zstd compression and decompression context pair, reused across calls.
///
/// Creating a context allocates its tables (over a megabyte at level 3), so `Zstd` keeps one per thread
/// instead of one per chunk. Not thread-safe: a context belongs to one thread at a time.
public final class ZstdContext {
    private let compression: OpaquePointer
    private let decompression: OpaquePointer

    /// Allocates both contexts.
    public init() throws {
        guard let compression = ZSTD_createCCtx() else {
            throw KeepError(.internalError, "cannot allocate a zstd compression context")
        }
        guard let decompression = ZSTD_createDCtx() else {
            ZSTD_freeCCtx(compression)
            throw KeepError(.internalError, "cannot allocate a zstd decompression context")
        }
        self.compression = compression
        self.decompression = decompression
    }

    deinit {
        ZSTD_freeCCtx(compression)
        ZSTD_freeDCtx(decompression)
    }

    /// Compresses `input` into a standard zstd frame at `level` (1...19).
    public func compress(_ input: UnsafeRawBufferPointer, level: Int32) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var failure: String?
        let output = [UInt8](unsafeUninitializedCapacity: bound) { out, initialized in
            let result = ZSTD_compressCCtx(compression, out.baseAddress, bound, input.baseAddress, input.count, level)
            if ZSTD_isError(result) != 0 {
                failure = String(cString: ZSTD_getErrorName(result))
                initialized = 0
            } else {
                initialized = result
            }
        }
        if let failure { throw KeepError(.internalError, "zstd compression failed: \(failure)") }
        return output
    }

    /// Decompresses one zstd frame that must expand to exactly `plaintextLength` bytes.
    ///
    /// Corrupt input, a frame that expands to more or fewer bytes, or trailing garbage all throw a
    /// `KeepError(.integrity)`; the output buffer never grows beyond `plaintextLength`.
    public func decompress(_ input: UnsafeRawBufferPointer, plaintextLength: Int) throws -> [UInt8] {
        var failure: String?
        let output = [UInt8](unsafeUninitializedCapacity: max(plaintextLength, 1)) { out, initialized in
            let result = ZSTD_decompressDCtx(decompression, out.baseAddress, plaintextLength,
                                             input.baseAddress, input.count)
            if ZSTD_isError(result) != 0 {
                failure = String(cString: ZSTD_getErrorName(result))
                initialized = 0
            } else if result != plaintextLength {
                failure = "expanded to \(result) bytes, expected \(plaintextLength)"
                initialized = 0
            } else {
                initialized = result
            }
        }
        if let failure {
            throw KeepError(.integrity, "corrupt compressed data: \(failure)",
                            hint: "the stored object is damaged; restore it from another backup set or re-run a backup")
        }
        return output
    }
}
