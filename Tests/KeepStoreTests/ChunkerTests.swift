import KeepCore
import KeepCrypto
import Testing

@testable import KeepStore

/// Cuts `data` into chunks by feeding the chunker in pieces of `step` bytes, as a stream would.
func chunkLengths(_ data: [UInt8], parameters: ChunkerParameters, step: Int = .max) -> [Int] {
    var chunker = Chunker(parameters: parameters)
    var lengths: [Int] = []
    var start = 0
    var end = min(step, data.count)
    data.withUnsafeBytes { all in
        while true {
            let atEOF = end == data.count
            let window = UnsafeRawBufferPointer(rebasing: all[start..<end])
            if let length = chunker.nextBoundary(in: window, atEOF: atEOF) {
                lengths.append(length)
                start += length
            } else if atEOF {
                break
            } else {
                end = min(end + step, data.count)
            }
        }
    }
    return lengths
}

/// The ids of the chunks of `data`.
func chunkIDs(_ data: [UInt8], parameters: ChunkerParameters) -> [ChunkID] {
    var offset = 0
    return chunkLengths(data, parameters: parameters).map { length in
        defer { offset += length }
        return SHA256.hash(Array(data[offset..<(offset + length)]))
    }
}

@Suite("Content-defined chunker")
struct ChunkerTests {
    static let small = ChunkerParameters(validated: 2 << 10, average: 8 << 10, maximum: 32 << 10)

    @Test("the gear table is the frozen SplitMix64 sequence")
    func gearTable() {
        #expect(GearTable.values.count == 256)
        #expect(Set(GearTable.values).count == 256)
        // SplitMix64 outputs from the seed "KEEPCDC1", recorded when the format was frozen (STORE-FORMAT.md).
        #expect(GearTable.values[0] == 0x7e68_5bb6_f15c_1ff4)
        #expect(GearTable.values[1] == 0xe9ba_6cca_8e8f_e34a)
        #expect(GearTable.values[255] == 0xe7a2_91fa_830d_39f5)
    }

    @Test("chunks are identical whether the data arrives whole or in small pieces")
    func deterministicAcrossFeeding() {
        var random = SeededBytes(seed: 1)
        let data = random.bytes(3 << 20)
        let whole = chunkLengths(data, parameters: Self.small)
        #expect(whole.reduce(0, +) == data.count)
        #expect(chunkLengths(data, parameters: Self.small, step: 4093) == whole)
        #expect(chunkLengths(data, parameters: Self.small, step: 1 << 20) == whole)
        #expect(chunkLengths(data, parameters: Self.small) == whole)
    }

    @Test("every chunk but the last lies within minimum...maximum and they average near the target")
    func boundsHonoured() {
        var random = SeededBytes(seed: 2)
        let data = random.bytes(4 << 20)
        let lengths = chunkLengths(data, parameters: Self.small)
        for length in lengths.dropLast() {
            #expect(length >= Self.small.minimumSize && length <= Self.small.maximumSize)
        }
        #expect((lengths.last ?? 0) <= Self.small.maximumSize)
        let mean = data.count / lengths.count
        #expect(mean > Self.small.averageSize / 2 && mean < Self.small.averageSize * 2)
    }

    @Test("data without boundaries is cut at the maximum size")
    func maximumOnUniformData() {
        let data = [UInt8](repeating: 0, count: 100_000)
        #expect(chunkLengths(data, parameters: Self.small) == [32768, 32768, 32768, 1696])
    }

    @Test("a stream shorter than the minimum is one chunk, an empty stream none")
    func shortStreams() {
        #expect(chunkLengths([1, 2, 3], parameters: Self.small) == [3])
        #expect(chunkLengths([], parameters: Self.small).isEmpty)
    }

    @Test("inserting 10 bytes in the middle of 20 MiB changes at most two chunks (default sizes)")
    func insertionStability() {
        var random = SeededBytes(seed: 3)
        let original = random.bytes(20 << 20)
        var edited = original
        edited.insert(contentsOf: random.bytes(10), at: 10 << 20)
        let before = chunkIDs(original, parameters: .default)
        let after = chunkIDs(edited, parameters: .default)
        let changed = after.filter { !Set(before).contains($0) }
        #expect(before.count > 8)
        #expect(changed.count >= 1 && changed.count <= 2)
        #expect(before.count - after.count <= 1 && after.count - before.count <= 1)
    }

    @Test("invalid sizes are refused with a configuration error")
    func invalidParameters() {
        #expect(throws: KeepError.self) { try ChunkerParameters(minimum: 10, average: 1000, maximum: 4000) }
        #expect(throws: KeepError.self) { try ChunkerParameters(minimum: 4096, average: 2048, maximum: 8192) }
    }
}
