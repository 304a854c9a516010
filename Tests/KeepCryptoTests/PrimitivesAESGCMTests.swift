import KeepCore
import KeepCrypto
import Testing

@Suite("AES-256-GCM (OpenSSL)")
struct PrimitivesAESGCMTests {
    /// AES-256 test cases 13–16 of the GCM specification (McGrew & Viega), as `nonce || ciphertext || tag`.
    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var key: String
        var nonce: String
        var plaintext: String
        var aad: String
        var ciphertext: String
        var tag: String
        var description: String { name }
    }

    static let fullKey = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
    static let fullPlaintext =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
    static let fullCiphertext =
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"

    static let vectors: [Vector] = [
        Vector(name: "TC13 empty", key: String(repeating: "00", count: 32), nonce: String(repeating: "00", count: 12),
               plaintext: "", aad: "", ciphertext: "", tag: "530f8afbc74536b9a963b4f1c4cb738b"),
        Vector(name: "TC14 one block", key: String(repeating: "00", count: 32),
               nonce: String(repeating: "00", count: 12), plaintext: String(repeating: "00", count: 16), aad: "",
               ciphertext: "cea7403d4d606b6e074ec5d3baf39d18", tag: "d0d1c8a799996bf0265b98b5d48ab919"),
        Vector(name: "TC16 with AAD", key: fullKey, nonce: "cafebabefacedbaddecaf888", plaintext: fullPlaintext,
               aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2", ciphertext: fullCiphertext,
               tag: "76fc6ece0f4e1768cddf8853bb2d551b"),
    ]

    @Test("open decrypts the GCM specification vectors", arguments: vectors)
    func knownVectors(vector: Vector) throws {
        let key = try SymmetricKey(bytes: vectorBytes(vector.key))
        let sealed = vectorBytes(vector.nonce + vector.ciphertext + vector.tag)
        let opened = try AESGCM.open(sealed, using: key, authenticating: vectorBytes(vector.aad))
        #expect(opened == vectorBytes(vector.plaintext))
    }

    @Test("seal then open round-trips, with a fresh nonce every time")
    func roundTrip() throws {
        let key = SymmetricKey.random()
        let message = SecureRandom.bytes(100_003)
        let first = try AESGCM.seal(message, using: key, authenticating: [1, 2, 3])
        let second = try AESGCM.seal(message, using: key, authenticating: [1, 2, 3])
        #expect(first.count == message.count + AESGCM.overhead)
        #expect(first.prefix(AESGCM.nonceLength) != second.prefix(AESGCM.nonceLength))
        #expect(try AESGCM.open(first, using: key, authenticating: [1, 2, 3]) == message)
        #expect(try AESGCM.open(try AESGCM.seal([], using: key), using: key) == [])
    }

    @Test("every flipped byte, a wrong key or a wrong AAD is refused")
    func tamperDetection() throws {
        let key = SymmetricKey.random()
        let sealed = try AESGCM.seal(Array("attack at dawn".utf8), using: key, authenticating: [7])
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: CryptoError.authenticationFailed) {
                try AESGCM.open(tampered, using: key, authenticating: [7])
            }
        }
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.open(sealed, using: SymmetricKey.random(), authenticating: [7])
        }
        #expect(throws: CryptoError.authenticationFailed) { try AESGCM.open(sealed, using: key, authenticating: [8]) }
        #expect(throws: CryptoError.malformedSealedBox(length: 27)) {
            try AESGCM.open([UInt8](repeating: 0, count: 27), using: key)
        }
    }

    @Test("keys must be exactly 32 bytes and never print their bytes")
    func keyLength() throws {
        #expect(throws: CryptoError.invalidKeyLength(16)) { try SymmetricKey(bytes: [UInt8](repeating: 1, count: 16)) }
        let key = try SymmetricKey(bytes: [UInt8](repeating: 0xab, count: 32))
        #expect(!"\(key)".contains("ab"))
    }
}
