import Foundation
import Glibc
import KeepCore
import Testing

@testable import KeepAgent
@testable import KeepStore

@Suite("Restore")
struct RestoreTests {
    static let nonUTF8: [UInt8] = Array("odd-".utf8) + [0xff, 0xfe]

    /// A source tree with every kind of entry and odd metadata, below `root/data`.
    static func makeSource(_ root: String) throws -> (sparse: String, hasXattr: Bool) {
        let data = root + "/data"
        makeDirectory(data)
        try writeFile(data + "/plain.txt", Array("hello\n".utf8))
        try writeFile(data + "/setuid", Array("#!/bin/sh\n".utf8), mode: 0o4755)
        try writeFile(data + "/locked", Array("secret".utf8), mode: 0o000)
        try writeFile(data + "/empty", [])
        try writeFile(data + "/big.bin", randomBytes(5 << 20))
        try writeFile(data + "/héllo ✓.txt", Array("unicode".utf8))
        let odd = open(
            Array((data + "/").utf8).map { CChar(bitPattern: $0) } + nonUTF8.map { CChar(bitPattern: $0) } + [0],
            O_CREAT | O_WRONLY, 0o640)
        #expect(odd >= 0)
        close(odd)
        try writeFile(data + "/hard1", Array("linked".utf8))
        #expect(link(data + "/hard1", data + "/hard2") == 0)
        #expect(symlink("/nonexistent/target", data + "/dangling") == 0)
        #expect(symlink("plain.txt", data + "/relative") == 0)
        #expect(mkfifo(data + "/fifo", 0o620) == 0)
        makeDirectory(data + "/sticky", mode: 0o1777)
        try writeFile(data + "/sticky/inside", Array("x".utf8))
        makeDirectory(data + "/readonly")
        try writeFile(data + "/readonly/file", Array("ro".utf8), mode: 0o444)
        #expect(chmod(data + "/readonly", 0o555) == 0)
        #expect(chown(data + "/plain.txt", 12345, 54321) == 0)
        let sparse = data + "/sparse"
        let descriptor = open(sparse, O_CREAT | O_WRONLY, 0o644)
        #expect(ftruncate(descriptor, 64 << 20) == 0)
        let block = [UInt8](repeating: 0x5a, count: 8192)
        #expect(block.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, block.count, 32 << 20) } == block.count)
        close(descriptor)
        let hasXattr = setUserAttribute(path: data + "/plain.txt", name: "user.test", value: Array("value".utf8))
        for path in ["/plain.txt", "/setuid", "/locked", "/sparse", "/sticky/inside", "/readonly/file", "/fifo"] {
            setTime(data + path, 1_500_000_000)
        }
        setTime(data + "/dangling", 1_400_000_000)
        for directory in ["/sticky", "/readonly", ""] { setTime(data + directory, 1_300_000_000) }
        return (sparse, hasXattr)
    }

    @Test func roundTripOfEveryKindGivesAnIdenticalTree() async throws {
        let host = try TemporaryDirectory()
        let source = try Self.makeSource(host.path)
        let store = InMemoryObjectSource()
        let root = try await takeSnapshot(hostRoot: host.path, sources: ["/data"], into: store)
        let target = try TemporaryDirectory()

        let summary = try await Restorer(source: store).restore(snapshot: root, to: target.path)

        #expect(summary.errors.isEmpty, "\(summary.errors)")
        #expect(summary.files == 12)
        let original = try await treeManifest(host.path + "/data")
        let restored = try await treeManifest(target.path + "/data")
        #expect(restored == original)
        #expect(original["plain.txt"]?.contains("owner=12345:54321") == true)
        #expect(original["plain.txt"]?.contains("user.test") == source.hasXattr)
        var status = stat()
        #expect(lstat(target.path + "/data/sparse", &status) == 0)
        #expect(status.st_size == 64 << 20)
        #expect(status.st_blocks * 512 < 1 << 20, "holes were written as data")
        #expect(summary.bytes < 6 << 20)
        var first = stat()
        var second = stat()
        #expect(lstat(target.path + "/data/hard1", &first) == 0 && lstat(target.path + "/data/hard2", &second) == 0)
        #expect(first.st_ino == second.st_ino)
    }

    @Test func restoresOnlySelectedPathsAndCreatesTheWayThere() async throws {
        let host = try TemporaryDirectory()
        _ = try Self.makeSource(host.path)
        let store = InMemoryObjectSource()
        let root = try await takeSnapshot(hostRoot: host.path, sources: ["/data"], into: store)
        let target = try TemporaryDirectory()

        let summary = try await Restorer(source: store).restore(
            snapshot: root, paths: ["/data/sticky", "/data/missing"], to: target.path)

        #expect(contents(target.path + "/data/sticky/inside") == "x")
        #expect(absent(target.path + "/data/plain.txt"))
        #expect(summary.errors.map(\.path) == ["/data/missing"])
        #expect(try await treeManifest(target.path + "/data/sticky") == treeManifest(host.path + "/data/sticky"))
    }

    @Test func dryRunListsWithoutWriting() async throws {
        let host = try TemporaryDirectory()
        _ = try Self.makeSource(host.path)
        let store = InMemoryObjectSource()
        let root = try await takeSnapshot(hostRoot: host.path, sources: ["/data"], into: store)
        let target = try TemporaryDirectory()

        let summary = try await Restorer(source: store, options: RestoreOptions(dryRun: true))
            .restore(snapshot: root, paths: ["/data"], to: target.path)

        #expect(summary.wouldWrite.contains("file /data/plain.txt"))
        #expect(summary.wouldWrite.contains("directory /data/readonly"))
        #expect(summary.files == 12)
        #expect(listNames(target.path) == [])
    }

    @Test("many small files (written by concurrent writers) and a large one restore identically; a name taken by a directory is reported and the rest restores")
    func manySmallFilesAndOneThatCannotBePlaced() async throws {
        let host = try TemporaryDirectory()
        makeDirectory(host.path + "/data")
        for index in 0..<60 {
            try writeFile(host.path + "/data/f\(index)", randomBytes(index * 1000), mode: 0o600 + mode_t(index % 64))
        }
        try writeFile(host.path + "/data/large", randomBytes(3 << 20))
        setTime(host.path + "/data", 1_300_000_000)
        let store = InMemoryObjectSource()
        let root = try await takeSnapshot(hostRoot: host.path, sources: ["/data"], into: store)
        let target = try TemporaryDirectory()
        makeDirectory(target.path + "/data")
        makeDirectory(target.path + "/data/f7")
        try writeFile(target.path + "/data/f7/keep-me", [1])

        let summary = try await Restorer(source: store).restore(snapshot: root, to: target.path)

        #expect(summary.errors.map(\.path) == ["/data/f7"])
        #expect(summary.errors.first?.message.contains("exists as a directory") == true)
        #expect(summary.files == 60)
        var original = try await treeManifest(host.path + "/data")
        var restored = try await treeManifest(target.path + "/data")
        for name in ["f7", "f7/keep-me", ""] {
            original[name] = nil
            restored[name] = nil
        }
        #expect(restored == original)
        #expect(listNames(target.path + "/data/f7") == ["keep-me"])
    }

    @Test func aShortChunkLeavesNoFileBehind() async throws {
        let store = InMemoryObjectSource()
        let chunk = store.add(data: Array("payload".utf8))
        store.truncate(chunk.id)
        let file = TreeEntry(
            name: Array("f".utf8), kind: .file, mode: 0o644, size: 7, content: [Extent(offset: 0, chunks: [chunk])])
        let root = store.add(tree: try Tree(entries: [file]))
        let target = try TemporaryDirectory()

        let summary = try await Restorer(source: store).restore(snapshot: root, to: target.path)

        #expect(summary.errors.count == 1)
        #expect(summary.errors.first?.message.contains("6 bytes instead of 7") == true)
        #expect(listNames(target.path) == [])
    }
}
