import Foundation
import KeepCore
import KeepCrypto
import Testing

@testable import KeepStore

@Suite("FileChunker streaming")
struct FileChunkerTests {
    @Test("a 64 MiB sparse file streams through a buffer of at most twice the maximum chunk size")
    func boundedMemory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/sparse"
        let descriptor = open(path, O_RDWR | O_CREAT, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let size = 64 << 20
        try #require(ftruncate(descriptor, off_t(size)) == 0)

        let chunker = FileChunker(fileDescriptor: descriptor, path: path, parameters: .default, readSize: 8 << 20)
        #expect(chunker.bufferCapacity <= 2 * ChunkerParameters.default.maximumSize)
        let streamed = SHA256Hasher()
        var total = 0
        var count = 0
        while let length = try chunker.withNextChunk({ chunk -> Int in
            streamed.update(chunk)
            return chunk.count
        }) {
            #expect(length <= ChunkerParameters.default.maximumSize)
            total += length
            count += 1
        }
        #expect(total == size)
        #expect(count == size / ChunkerParameters.default.maximumSize)
        #expect(streamed.finalize() == SHA256.hash([UInt8](repeating: 0, count: size)))
    }

    @Test("a file yields the same chunks as the in-memory chunker, whatever the read size")
    func matchesInMemory() throws {
        let parameters = ChunkerParameters(validated: 2 << 10, average: 8 << 10, maximum: 64 << 10)
        var random = SeededBytes(seed: 9)
        let data = random.bytes(5 << 20 + 123)
        let expected = chunkLengths(data, parameters: parameters)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/random"
        try Data(data).write(to: URL(fileURLWithPath: path))
        for readSize in [1, 100_000, 1 << 30] {
            let descriptor = open(path, O_RDONLY)
            try #require(descriptor >= 0)
            defer { close(descriptor) }
            let chunker = FileChunker(fileDescriptor: descriptor, parameters: parameters, readSize: readSize)
            var lengths: [Int] = []
            var rebuilt: [UInt8] = []
            while let chunk = try chunker.next() {
                lengths.append(chunk.count)
                rebuilt += chunk
            }
            #expect(lengths == expected)
            #expect(rebuilt == data)
        }
    }

    @Test("a read error names the file")
    func readError() throws {
        let chunker = FileChunker(fileDescriptor: -1, path: "/srv/missing", parameters: .default)
        let error = try #require(throws: KeepError.self) { try chunker.next() }
        #expect(error.code == .io)
        #expect(error.context == "/srv/missing")
    }
}
