import KeepCore
import KeepCrypto
import Testing

@testable import KeepStore

/// A pack of a compressible tree, a random data chunk and an empty object, with their plaintexts.
func makeSamplePack(key: SymmetricKey, reusing storage: [UInt8] = []) throws -> (
    pack: SealedPack, plaintexts: [ChunkID: [UInt8]]
) {
    var random = SeededBytes(seed: 5)
    let objects: [(ObjectType, [UInt8])] = [
        (.tree, Array(String(repeating: "name=etc mode=0755\n", count: 500).utf8)),
        (.data, random.bytes(300_000)),
        (.data, []),
    ]
    var builder = PackBuilder(key: key, reusing: storage)
    var plaintexts: [ChunkID: [UInt8]] = [:]
    for (type, plaintext) in objects {
        let id = SHA256.hash(plaintext)
        let payload = try Compression.default.apply(to: plaintext)
        try builder.add(id: id, type: type, payload: payload.bytes, compressed: payload.compressed,
                        plaintextLength: payload.plaintextLength)
        plaintexts[id] = plaintext
    }
    return (try builder.finish(), plaintexts)
}

@Suite("Pack files")
struct PackTests {
    @Test("a pack round-trips: trailer index, then every object decrypted and verified")
    func roundTrip() throws {
        let key = SymmetricKey.random()
        let (pack, plaintexts) = try makeSamplePack(key: key)
        #expect(pack.packID == SHA256.hash(pack.bytes).hex)
        #expect(pack.bytes.prefix(8) == ArraySlice("KEEPPACK".utf8))
        #expect(pack.bytes.suffix(12).prefix(8) == ArraySlice("KEEPPACK".utf8))

        var reads = 0
        let entries = try PackReader.entries(packID: pack.packID, size: UInt64(pack.bytes.count), key: key) {
            offset, length in
            reads += 1
            return Array(pack.bytes[Int(offset)..<(Int(offset) + length)])
        }
        #expect(reads == 2)
        #expect(entries == pack.entries)
        #expect(entries.map(\.type) == [.tree, .data, .data])
        #expect(entries.map(\.compressed) == [true, false, false])
        for entry in entries {
            let blob = Array(pack.bytes[Int(entry.offset)..<(Int(entry.offset) + Int(entry.length))])
            #expect(try PackReader.object(entry, from: blob, packID: pack.packID, key: key) == plaintexts[entry.id])
        }
    }

    @Test("a builder given an old pack's buffer drops its contents: the pack reads back the same")
    func reusedBuffer() throws {
        let key = SymmetricKey.random()
        let (pack, plaintexts) = try makeSamplePack(key: key, reusing: [UInt8](repeating: 0xAA, count: 1 << 20))
        #expect(pack.bytes.prefix(8) == ArraySlice("KEEPPACK".utf8))
        #expect(pack.packID == SHA256.hash(pack.bytes).hex)
        let entries = try PackReader.entries(packID: pack.packID, size: UInt64(pack.bytes.count), key: key) {
            offset, length in Array(pack.bytes[Int(offset)..<(Int(offset) + length)])
        }
        #expect(entries == pack.entries)
        for entry in entries {
            let blob = Array(pack.bytes[Int(entry.offset)..<(Int(entry.offset) + Int(entry.length))])
            #expect(try PackReader.object(entry, from: blob, packID: pack.packID, key: key) == plaintexts[entry.id])
        }
    }

    @Test("a flipped byte in a blob is a corruption error naming the object and the pack")
    func flippedByte() throws {
        let key = SymmetricKey.random()
        let (pack, _) = try makeSamplePack(key: key)
        let entry = pack.entries[1]
        var blob = Array(pack.bytes[Int(entry.offset)..<(Int(entry.offset) + Int(entry.length))])
        blob[blob.count / 2] ^= 0x20
        let error = try #require(throws: PackError.self) {
            try PackReader.object(entry, from: blob, packID: pack.packID, key: key)
        }
        guard case .corruptObject(let id, let packID, _) = error else {
            Issue.record("expected corruptObject, got \(error)")
            return
        }
        #expect(id == entry.id && packID == pack.packID)
        #expect(error.description.contains(entry.id.hex) && error.description.contains(pack.packID))
        #expect(error.keepError.code == .integrity)
    }

    @Test("a blob read at another entry's place does not pass as that object")
    func swappedBlob() throws {
        let key = SymmetricKey.random()
        let (pack, _) = try makeSamplePack(key: key)
        let other = pack.entries[0]
        let blob = Array(pack.bytes[Int(other.offset)..<(Int(other.offset) + Int(other.length))])
        var forged = pack.entries[1]
        forged.length = other.length
        #expect(throws: PackError.self) { try PackReader.object(forged, from: blob, packID: pack.packID, key: key) }
    }

    @Test("wrong key, truncation and a newer version are told apart")
    func trailerErrors() throws {
        let key = SymmetricKey.random()
        let (pack, _) = try makeSamplePack(key: key)
        #expect(throws: PackError.unreadableIndex(pack: "p")) {
            try PackReader.entries(of: pack.bytes, packID: "p", key: SymmetricKey.random())
        }
        #expect(throws: PackError.self) {
            try PackReader.entries(of: Array(pack.bytes.dropLast(3)), packID: "p", key: key)
        }
        var newer = pack.bytes
        newer[newer.count - 1] = 2
        #expect(throws: PackError.unsupportedVersion(pack: "p", version: 2)) {
            try PackReader.entries(of: newer, packID: "p", key: key)
        }
    }

    @Test("the builder stores an id once and reports when it is full")
    func builderBookkeeping() throws {
        var builder = PackBuilder(key: SymmetricKey.random(), targetSize: 1000)
        #expect(builder.isEmpty && !builder.isFull)
        let plaintext = [UInt8](repeating: 7, count: 600)
        let id = SHA256.hash(plaintext)
        let first = try builder.add(id: id, type: .data, payload: plaintext, compressed: false, plaintextLength: 600)
        let second = try builder.add(id: id, type: .data, payload: plaintext, compressed: false, plaintextLength: 600)
        #expect(first == second && builder.count == 1 && !builder.isFull)
        try builder.add(id: SHA256.hash([1]), type: .data, payload: [1], compressed: false, plaintextLength: 1)
        let filler = Array(plaintext.prefix(500))
        try builder.add(id: SHA256.hash(filler), type: .data, payload: filler, compressed: false, plaintextLength: 500)
        #expect(builder.isFull)
    }
}
