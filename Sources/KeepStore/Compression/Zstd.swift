#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KeepCore

/// zstd compression with one reused `ZstdContext` per thread.
public enum Zstd {
    /// Compresses `input` at `level` (3 is the store's default: see `Compression`).
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = 3) throws -> [UInt8] {
        try threadContext().compress(input, level: level)
    }

    /// Compresses an array; see `compress(_:level:)`.
    public static func compress(_ input: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        try input.withUnsafeBytes { try compress($0, level: level) }
    }

    /// Decompresses a frame that must expand to exactly `plaintextLength` bytes; anything else throws
    /// `KeepError(.integrity)`.
    public static func decompress(_ input: UnsafeRawBufferPointer, plaintextLength: Int) throws -> [UInt8] {
        try threadContext().decompress(input, plaintextLength: plaintextLength)
    }

    /// Decompresses an array; see `decompress(_:plaintextLength:)`.
    public static func decompress(_ input: [UInt8], plaintextLength: Int) throws -> [UInt8] {
        try input.withUnsafeBytes { try decompress($0, plaintextLength: plaintextLength) }
    }

    /// The calling thread's context, created on first use and released when the thread exits.
    private static func threadContext() throws -> ZstdContext {
        if let existing = pthread_getspecific(contextKey) {
            return Unmanaged<ZstdContext>.fromOpaque(existing).takeUnretainedValue()
        }
        let context = try ZstdContext()
        pthread_setspecific(contextKey, Unmanaged.passRetained(context).toOpaque())
        return context
    }
}

/// Thread-local slot of `Zstd`'s contexts; its destructor releases a thread's context at thread exit.
private let contextKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { pointer in
        let raw: UnsafeMutableRawPointer? = pointer
        if let raw { Unmanaged<ZstdContext>.fromOpaque(raw).release() }
    }
    precondition(status == 0, "pthread_key_create failed: the process is out of thread-local keys")
    return key
}()
