import KeepCore
import KeepCrypto
import Testing

@Suite("SHA-256 (OpenSSL)")
struct PrimitivesSHA256Tests {
    // FIPS 180-2 appendix B and the empty-message digest.
    static let vectors: [(message: String, digest: String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ]

    @Test("one-shot hash matches FIPS 180-2 vectors", arguments: vectors)
    func oneShot(message: String, digest: String) {
        #expect(SHA256.hash(Array(message.utf8)).hex == digest)
    }

    @Test("a million 'a' streamed in uneven pieces matches FIPS 180-2 and the one-shot hash")
    func streamedMillion() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let hasher = SHA256Hasher()
        var offset = 0
        var step = 1
        while offset < message.count {
            let end = min(offset + step, message.count)
            message[offset..<end].withUnsafeBytes { hasher.update($0) }
            offset = end
            step = step * 3 + 1
        }
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(hasher.finalize().hex == expected)
        #expect(SHA256.hash(message).hex == expected)
    }

    @Test("finalize resets the hasher for reuse")
    func finalizeResets() {
        let hasher = SHA256Hasher()
        hasher.update(Array("garbage".utf8))
        _ = hasher.finalize()
        hasher.update(Array("abc".utf8))
        #expect(hasher.finalize() == SHA256.hash(Array("abc".utf8)))
    }
}
