import KeepCore
import Testing

@testable import KeepStore

@Suite("zstd and the compression policy")
struct ZstdTests {
    static let text = Array(String(repeating: "2024-05-01 12:00:00 INFO backup of /srv finished\n", count: 4000).utf8)

    @Test("round trip restores the exact bytes")
    func roundTrip() throws {
        let compressed = try Zstd.compress(Self.text, level: 3)
        #expect(compressed.count < Self.text.count / 10)
        #expect(try Zstd.decompress(compressed, plaintextLength: Self.text.count) == Self.text)
    }

    @Test("corrupt input, a wrong expected length or trailing garbage is an integrity error")
    func corruptInput() throws {
        let compressed = try Zstd.compress(Self.text, level: 3)
        let cases: [([UInt8], Int)] = [
            (Array(compressed.prefix(compressed.count / 2)), Self.text.count),
            (compressed, Self.text.count - 1),
            (compressed, Self.text.count + 1),
            (compressed + [0, 1, 2, 3], Self.text.count),
            (Array(repeating: 0x42, count: 100), Self.text.count),
        ]
        for (input, length) in cases {
            let error = try #require(throws: KeepError.self) { try Zstd.decompress(input, plaintextLength: length) }
            #expect(error.code == .integrity)
        }
    }

    @Test("the policy keeps compressed text and stores random bytes raw")
    func policy() throws {
        let text = try Compression.default.apply(to: Self.text)
        #expect(text.compressed && text.plaintextLength == Self.text.count)
        var random = SeededBytes(seed: 4)
        let noise = random.bytes(1 << 20)
        let raw = try Compression.default.apply(to: noise)
        #expect(!raw.compressed && raw.bytes == noise)
        let empty = try Compression.default.apply(to: [])
        #expect(!empty.compressed && empty.bytes.isEmpty)
    }
}
