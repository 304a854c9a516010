import COpenSSL

/// scrypt (RFC 7914), the memory-hard KDF that turns an operator's passphrase into a wrapping key for
/// the repository master key. Runs through OpenSSL's EVP_KDF "SCRYPT".
public enum Scrypt {
    /// The largest working memory a derivation may use (2 GiB); larger parameters are refused rather
    /// than letting a tampered key file exhaust the controller's memory.
    public static let maximumMemory: UInt64 = 2 << 30

    /// Derives `length` bytes from `passphrase` and `salt` with cost `n` (a power of two > 1), block
    /// size `r` and parallelism `p`. Memory use is about `128 · r · n` bytes.
    public static func deriveKey(
        passphrase: [UInt8], salt: [UInt8], n: UInt64, r: UInt32, p: UInt32, length: Int
    ) throws -> [UInt8] {
        guard n > 1, n & (n - 1) == 0 else { throw CryptoError.invalidParameter("scrypt N must be a power of two > 1") }
        guard r > 0, p > 0 else { throw CryptoError.invalidParameter("scrypt r and p must be positive") }
        guard length > 0, length <= 1024 else { throw CryptoError.invalidParameter("scrypt output length 1...1024") }
        let (blockMemory, overflow) = (128 * UInt64(r)).multipliedReportingOverflow(by: n + UInt64(p) + 2)
        guard !overflow, blockMemory <= maximumMemory else {
            throw CryptoError.invalidParameter("scrypt parameters need more than \(maximumMemory >> 20) MiB")
        }
        var out = [UInt8](repeating: 0, count: length)
        let ok = passphrase.withUnsafeBufferPointer { pass in
            salt.withUnsafeBufferPointer { saltBytes in
                out.withUnsafeMutableBufferPointer { key in
                    keep_scrypt_derive(pass.baseAddress, pass.count, saltBytes.baseAddress, saltBytes.count,
                                       n, r, p, maximumMemory, key.baseAddress, key.count)
                }
            }
        }
        guard ok == 1 else { throw CryptoError.failedCall("EVP_KDF_derive(SCRYPT)") }
        return out
    }
}
