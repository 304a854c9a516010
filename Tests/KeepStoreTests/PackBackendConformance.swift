import KeepCore
import KeepCrypto
import Testing

@testable import KeepStore

/// The behaviour every `PackBackend` must show (see the protocol's contract). A new backend's test
/// suite calls `run(on:)` with an empty backend.
enum PackBackendConformance {
    static func run(on backend: some PackBackend) async throws {
        #expect(try await backend.list().isEmpty)

        // Write and read back, whole and in ranges.
        let key = SymmetricKey.random()
        let (pack, _) = try makeSamplePack(key: key)
        try await backend.write(packID: pack.packID, contents: pack.bytes)
        #expect(try await backend.size(packID: pack.packID) == UInt64(pack.bytes.count))
        #expect(try await backend.read(packID: pack.packID, offset: 0, length: pack.bytes.count) == pack.bytes)
        #expect(try await backend.read(packID: pack.packID, offset: 100, length: 50) == Array(pack.bytes[100..<150]))
        #expect(try await PackReader.entries(packID: pack.packID, in: backend, key: key) == pack.entries)
        let ranges = [PackRange(offset: 300, length: 7), PackRange(offset: 0, length: 12), PackRange(offset: 300, length: 0)]
        #expect(
            try await backend.read(packID: pack.packID, ranges: ranges)
                == [Array(pack.bytes[300..<307]), Array(pack.bytes.prefix(12)), []])

        // Reading beyond the end fails instead of returning short data, alone or among other ranges.
        await #expect(throws: KeepError.self) {
            try await backend.read(packID: pack.packID, offset: UInt64(pack.bytes.count - 10), length: 20)
        }
        await #expect(throws: KeepError.self) {
            try await backend.read(
                packID: pack.packID,
                ranges: [PackRange(offset: 0, length: 8), PackRange(offset: UInt64(pack.bytes.count), length: 1)])
        }

        // Rewriting the same id is allowed and keeps the content.
        try await backend.write(packID: pack.packID, contents: pack.bytes)
        #expect(try await backend.read(packID: pack.packID, offset: 0, length: 12) == Array(pack.bytes.prefix(12)))

        // Listing is sorted and complete.
        var ids = [pack.packID]
        for index in 0..<5 {
            let contents = SecureRandom.bytes(100 + index)
            let id = SHA256.hash(contents).hex
            try await backend.write(packID: id, contents: contents)
            ids.append(id)
        }
        #expect(try await backend.list() == ids.sorted())

        // Missing packs are `.notFound`; deleting is idempotent.
        let missing = String(repeating: "ab", count: 32)
        let error = try await #require(throws: KeepError.self) { try await backend.size(packID: missing) }
        #expect(error.code == .notFound)
        try await backend.delete(packID: pack.packID)
        try await backend.delete(packID: pack.packID)
        #expect(try await !backend.list().contains(pack.packID))
        await #expect(throws: KeepError.self) { try await backend.read(packID: pack.packID, offset: 0, length: 1) }

        // Ids that are not 64 lowercase hex digits never reach storage.
        for bad in ["../../etc/passwd", String(repeating: "AB", count: 32), "", String(repeating: "a", count: 65)] {
            await #expect(throws: KeepError.self) { try await backend.write(packID: bad, contents: [1]) }
        }
    }
}
