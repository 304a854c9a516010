import Foundation
import KeepCore
import KeepCrypto
import KeepStore
import Testing

@testable import KeepAgent

@Suite("Change cache file")
struct ChangeCacheTests {
    private func id(_ seed: UInt8) -> ChunkID {
        SHA256.hash([seed])
    }

    private func extents(_ index: Int) -> [Extent] {
        [
            Extent(offset: 0, chunks: [ChunkRef(id: id(UInt8(index)), length: 1 << 20)]),
            Extent(offset: 8 << 20, chunks: [ChunkRef(id: id(1), length: 5), ChunkRef(id: id(2), length: 6)]),
        ]
    }

    private func sample() -> ChangeCache {
        var cache = ChangeCache(root: id(9))
        for index in 0..<100 {
            cache.files[Data("/srv/file-\(index)-é".utf8)] = ChangeCache.Record(
                size: UInt64(index) << 20, mtime: -Int64(index), mtimeNanos: 999_999_999, ctime: Int64(index) << 33,
                ctimeNanos: 7, inode: UInt64.max - UInt64(index), device: 42,
                extents: index % 10 == 0 ? [] : extents(index))
        }
        return cache
    }

    @Test("a saved cache loads back identical for its root, and not for another parent")
    func roundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cc-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cache = sample()
        try cache.save(stateDirectory: directory)
        let loaded = ChangeCache.load(stateDirectory: directory, parent: id(9))
        #expect(loaded.root == cache.root)
        #expect(loaded.files == cache.files)
        #expect(ChangeCache.load(stateDirectory: directory, parent: id(8)).files.isEmpty)
    }

    @Test("every truncation of the file and a wrong magic are refused, never half-read")
    func truncated() {
        let bytes = ChangeCacheFormat.encode(sample())
        #expect(ChangeCacheFormat.decode(bytes)?.files.count == 100)
        for length in stride(from: 0, to: bytes.count, by: 97) {
            #expect(ChangeCacheFormat.decode(Array(bytes[..<length])) == nil)
        }
        var damaged = bytes
        damaged[0] ^= 0xff
        #expect(ChangeCacheFormat.decode(damaged) == nil)
        #expect(ChangeCacheFormat.decode(bytes + [0]) == nil)
    }
}
