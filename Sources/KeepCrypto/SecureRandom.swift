import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG (seeded from the kernel).
///
/// Used for keys, nonces and salts. Never use Swift's `SystemRandomNumberGenerator` for those: every
/// cryptographic operation goes through OpenSSL.
public enum SecureRandom {
    /// Returns `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        let ok = out.withUnsafeMutableBytes { buffer in
            RAND_bytes(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(buffer.count))
        }
        // RAND_bytes fails only if the DRBG cannot be seeded; continuing with predictable keys or nonces
        // would be far worse than stopping.
        precondition(ok == 1, "OpenSSL RAND_bytes failed: the random generator could not be seeded")
        return out
    }
}
