import Foundation
import KeepCore
import KeepCrypto
import Testing

@testable import KeepStore

@Suite("Local pack backend")
struct LocalPackBackendTests {
    @Test("passes the pack backend conformance suite and leaves no temporary files")
    func conformance() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let backend = LocalPackBackend(directory: directory.path)
        try await PackBackendConformance.run(on: backend)
        #expect(!directory.allNames().contains { $0.contains(LocalPackBackend.temporaryPrefix) })
        let remaining = try await backend.list()
        let first = try #require(remaining.first)
        #expect(FileManager.default.fileExists(atPath: "\(directory.path)/packs/\(first.prefix(2))/\(first)"))
    }

    @Test("packs of every length are written byte for byte (whole blocks direct, the tail cached)")
    func directWritesKeepEveryByte() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let backend = LocalPackBackend(directory: directory.path)
        for length in [1, 4095, 4096, 4097, (1 << 20) + 4096 + 17, 3 << 20] {
            let contents = SecureRandom.bytes(length)
            let id = SHA256.hash(contents).hex
            try await backend.write(packID: id, contents: contents)
            #expect(try await backend.size(packID: id) == UInt64(length))
            #expect(try await backend.read(packID: id, offset: 0, length: length) == contents)
        }
    }

    @Test("a full disk is a diskFull error naming the directory, and no partial file remains",
          .enabled(if: geteuid() == 0, "needs root to mount a small tmpfs"))
    func diskFull() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mounted = mount("tmpfs", directory.path, "tmpfs", 0, "size=256k")
        try #require(mounted == 0, "mount failed: \(String(cString: strerror(errno)))")
        defer { umount(directory.path) }
        let backend = LocalPackBackend(directory: directory.path)
        let contents = SecureRandom.bytes(1 << 20)
        let id = SHA256.hash(contents).hex
        let error = try await #require(throws: KeepError.self) {
            try await backend.write(packID: id, contents: contents)
        }
        #expect(error.code == .diskFull)
        #expect(error.context == "\(directory.path)/packs/\(id.prefix(2))")
        #expect(directory.allNames().allSatisfy { !$0.contains(LocalPackBackend.temporaryPrefix) })
        #expect(try await backend.list().isEmpty)
    }
}
