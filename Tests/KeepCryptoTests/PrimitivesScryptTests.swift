import KeepCore
import KeepCrypto
import Testing

@Suite("scrypt and SecureRandom (OpenSSL)")
struct PrimitivesScryptTests {
    @Test("matches RFC 7914 section 12 vectors")
    func rfcVectors() throws {
        let empty = try Scrypt.deriveKey(passphrase: [], salt: [], n: 16, r: 1, p: 1, length: 64)
        #expect(Hex.encode(empty) == "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
        let nacl = try Scrypt.deriveKey(passphrase: Array("password".utf8), salt: Array("NaCl".utf8),
                                        n: 1024, r: 8, p: 16, length: 64)
        #expect(Hex.encode(nacl) == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test("refuses N that is not a power of two and parameters beyond the memory cap")
    func refusesBadParameters() {
        #expect(throws: CryptoError.self) {
            try Scrypt.deriveKey(passphrase: [1], salt: [2], n: 1000, r: 8, p: 1, length: 32)
        }
        #expect(throws: CryptoError.self) {
            try Scrypt.deriveKey(passphrase: [1], salt: [2], n: 1 << 40, r: 8, p: 1, length: 32)
        }
    }

    @Test("random bytes differ between calls and have the requested length")
    func randomBytes() {
        #expect(SecureRandom.bytes(0).isEmpty)
        let first = SecureRandom.bytes(32)
        #expect(first.count == 32)
        #expect(first != SecureRandom.bytes(32))
    }
}
