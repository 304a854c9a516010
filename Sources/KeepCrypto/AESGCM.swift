import COpenSSL

/// A 256-bit key for `AESGCM`: the repository master key or a key derived from a passphrase.
///
/// The bytes stay inside `KeepCrypto` and are never printed (`description` is redacted).
public struct SymmetricKey: Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    /// Wraps 32 key bytes; any other length throws `CryptoError.invalidKeyLength`.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else { throw CryptoError.invalidKeyLength(bytes.count) }
        self.bytes = bytes
    }

    /// A fresh key from `SecureRandom`.
    public static func random() -> SymmetricKey {
        SymmetricKey(trusted: SecureRandom.bytes(32))
    }

    private init(trusted bytes: [UInt8]) { self.bytes = bytes }

    /// The raw key bytes, for code that must persist the key (the key file). Handle with care.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    public var description: String { "SymmetricKey(256 bits, redacted)" }
}

/// AES-256 in the cipher object fetched once per process; `EVP_CIPHER` is immutable and shareable.
final class FetchedCipher: @unchecked Sendable {
    let cipher: OpaquePointer

    static let aes256GCM = FetchedCipher()

    private init() {
        cipher = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) ?? EVP_aes_256_gcm()
    }

    deinit { EVP_CIPHER_free(cipher) }
}

/// AES-256-GCM with a random 96-bit nonce and a 128-bit tag.
///
/// A sealed box is `nonce (12) || ciphertext || tag (16)`, so it is 28 bytes longer than the plaintext
/// and carries everything needed to open it with the key. Random nonces are safe for up to about 2^32
/// boxes per key, far beyond a repository's object count.
public enum AESGCM {
    /// Length of the random nonce that starts every sealed box.
    public static let nonceLength = 12
    /// Length of the authentication tag that ends every sealed box.
    public static let tagLength = 16
    /// Bytes a sealed box adds to its plaintext.
    public static let overhead = nonceLength + tagLength

    /// Encrypts and authenticates `plaintext`, also authenticating (not encrypting) `aad`.
    public static func seal(
        _ plaintext: UnsafeRawBufferPointer, using key: SymmetricKey, authenticating aad: [UInt8] = []
    ) throws -> [UInt8] {
        let nonce = SecureRandom.bytes(nonceLength)
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError.failedCall("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        let initialized = key.bytes.withUnsafeBufferPointer { keyBytes in
            nonce.withUnsafeBufferPointer { EVP_EncryptInit_ex2(context, FetchedCipher.aes256GCM.cipher,
                                                                keyBytes.baseAddress, $0.baseAddress, nil) }
        }
        guard initialized == 1 else { throw CryptoError.failedCall("EVP_EncryptInit_ex2") }
        try feedAAD(aad, to: context)

        let total = overhead + plaintext.count
        return try [UInt8](unsafeUninitializedCapacity: total) { out, initializedCount in
            guard let base = out.baseAddress else { return }
            base.initialize(from: nonce, count: nonceLength)
            let input = plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self)
            var written = nonceLength
            var consumed = 0
            while consumed < plaintext.count {
                let step = min(plaintext.count - consumed, 1 << 30)
                var produced: Int32 = 0
                let ok = EVP_EncryptUpdate(context, base + written, &produced, input.map { $0 + consumed },
                                           Int32(step))
                guard ok == 1 else { throw CryptoError.failedCall("EVP_EncryptUpdate") }
                written += Int(produced)
                consumed += step
            }
            var produced: Int32 = 0
            guard EVP_EncryptFinal_ex(context, base + written, &produced) == 1 else {
                throw CryptoError.failedCall("EVP_EncryptFinal_ex")
            }
            written += Int(produced)
            guard keep_gcm_get_tag(context, base + written, Int32(tagLength)) == 1 else {
                throw CryptoError.failedCall("EVP_CIPHER_CTX_ctrl(GET_TAG)")
            }
            initializedCount = written + tagLength
        }
    }

    /// Encrypts an array; see `seal(_:using:authenticating:)`.
    public static func seal(_ plaintext: [UInt8], using key: SymmetricKey, authenticating aad: [UInt8] = [])
        throws -> [UInt8]
    {
        try plaintext.withUnsafeBytes { try seal($0, using: key, authenticating: aad) }
    }

    /// Verifies and decrypts a sealed box. A wrong key, a wrong `aad` or any altered byte throws
    /// `CryptoError.authenticationFailed`, and no plaintext is returned.
    public static func open(
        _ sealed: UnsafeRawBufferPointer, using key: SymmetricKey, authenticating aad: [UInt8] = []
    ) throws -> [UInt8] {
        guard sealed.count >= overhead, let sealedBase = sealed.baseAddress?.assumingMemoryBound(to: UInt8.self)
        else { throw CryptoError.malformedSealedBox(length: sealed.count) }
        let ciphertextLength = sealed.count - overhead
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError.failedCall("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        let initialized = key.bytes.withUnsafeBufferPointer {
            EVP_DecryptInit_ex2(context, FetchedCipher.aes256GCM.cipher, $0.baseAddress, sealedBase, nil)
        }
        guard initialized == 1 else { throw CryptoError.failedCall("EVP_DecryptInit_ex2") }
        try feedAAD(aad, to: context)

        let ciphertext = sealedBase + nonceLength
        return try [UInt8](unsafeUninitializedCapacity: max(ciphertextLength, 1)) { out, initializedCount in
            guard let base = out.baseAddress else { return }
            var written = 0
            while written < ciphertextLength {
                let step = min(ciphertextLength - written, 1 << 30)
                var produced: Int32 = 0
                guard EVP_DecryptUpdate(context, base + written, &produced, ciphertext + written, Int32(step)) == 1
                else { throw CryptoError.failedCall("EVP_DecryptUpdate") }
                written += Int(produced)
            }
            guard keep_gcm_set_tag(context, ciphertext + ciphertextLength, Int32(tagLength)) == 1 else {
                throw CryptoError.failedCall("EVP_CIPHER_CTX_ctrl(SET_TAG)")
            }
            var produced: Int32 = 0
            guard EVP_DecryptFinal_ex(context, base + written, &produced) == 1 else {
                // The plaintext written so far is unauthenticated: wipe it before the buffer is dropped.
                base.update(repeating: 0, count: written)
                ERR_clear_error()
                throw CryptoError.authenticationFailed
            }
            initializedCount = written + Int(produced)
        }
    }

    /// Decrypts an array; see `open(_:using:authenticating:)`.
    public static func open(_ sealed: [UInt8], using key: SymmetricKey, authenticating aad: [UInt8] = [])
        throws -> [UInt8]
    {
        try sealed.withUnsafeBytes { try open($0, using: key, authenticating: aad) }
    }

    private static func feedAAD(_ aad: [UInt8], to context: OpaquePointer) throws {
        guard !aad.isEmpty else { return }
        var ignored: Int32 = 0
        let ok = aad.withUnsafeBufferPointer {
            EVP_CipherUpdate(context, nil, &ignored, $0.baseAddress, Int32($0.count))
        }
        guard ok == 1 else { throw CryptoError.failedCall("EVP_CipherUpdate(AAD)") }
    }
}
