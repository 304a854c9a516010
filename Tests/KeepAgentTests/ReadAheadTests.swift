import Foundation
import Glibc
import KeepStore
import Synchronization
import Testing

@testable import KeepAgent

@Suite("Read-ahead of the archiver")
struct ReadAheadTests {
    /// Records the hints as they run: "name:bytes".
    final class HintLog: Sendable {
        private let hints = Mutex<[String]>([])
        var all: [String] { hints.withLock { $0 } }

        func advise(_ file: ReadAhead.File, _ directory: Int32, _ bytes: UInt64) {
            let name = String(decoding: file.name.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
            hints.withLock { $0.append("\(name):\(bytes)") }
        }
    }

    static func file(_ name: String, inode: UInt64, length: UInt64) -> ReadAhead.File {
        ReadAhead.File(name: DirectoryOps.cString(Array(name.utf8)), inode: inode, device: 1, length: length)
    }

    @Test("hints stay within the window, deepest directory first, and never for a file already read")
    func windowAndOrder() throws {
        let log = HintLog()
        let readAhead = ReadAhead(windowBytes: 100, windowFiles: 10, advise: log.advise)
        let directory = open(NSTemporaryDirectory(), O_RDONLY | O_DIRECTORY)
        try #require(directory >= 0)
        defer { close(directory) }

        readAhead.enter(directory: directory, files: (1...4).map { Self.file("a\($0)", inode: $0, length: 40) })
        readAhead.waitForHints()
        #expect(log.all == ["a1:40", "a2:40", "a3:40"])  // 120 bytes ahead: the window is full

        readAhead.enter(directory: directory, files: [Self.file("b1", inode: 11, length: 10)])
        readAhead.consumed(inode: 1, device: 1)
        readAhead.waitForHints()
        #expect(log.all == ["a1:40", "a2:40", "a3:40", "b1:10", "a4:40"])  // the subdirectory comes first

        // A file read before its turn is never hinted; a large file is hinted up to the window only.
        readAhead.enter(
            directory: directory,
            files: [Self.file("c1", inode: 21, length: 5), Self.file("c2", inode: 22, length: 1000)])
        readAhead.consumed(inode: 21, device: 1)
        for inode: UInt64 in [2, 3, 11] { readAhead.consumed(inode: inode, device: 1) }
        readAhead.waitForHints()
        #expect(log.all == ["a1:40", "a2:40", "a3:40", "b1:10", "a4:40", "c2:100"])
    }

    @Test("a hinted name replaced by a FIFO, another file or a symlink is left alone, without blocking")
    func replacedFilesAreNotOpenedForReading() throws {
        let temp = try TemporaryDirectory()
        try temp.write("data", "contents")
        var status = stat()
        #expect(stat(temp.path + "/data", &status) == 0)
        let directory = open(temp.path, O_RDONLY | O_DIRECTORY)
        try #require(directory >= 0)
        defer { close(directory) }
        let data = ReadAhead.File(
            name: DirectoryOps.cString(Array("data".utf8)), inode: UInt64(status.st_ino),
            device: UInt64(status.st_dev), length: 8)
        #expect(ReadAhead.willNeed(data, directory: directory, bytes: 8))

        #expect(rename(temp.path + "/data", temp.path + "/target") == 0)
        #expect(mkfifo(temp.path + "/data", 0o600) == 0)
        #expect(!ReadAhead.willNeed(data, directory: directory, bytes: 8))  // opened non-blocking: not a file
        #expect(unlink(temp.path + "/data") == 0)
        try temp.write("data", "another file")
        #expect(!ReadAhead.willNeed(data, directory: directory, bytes: 8))  // not the inode the walk saw
        #expect(unlink(temp.path + "/data") == 0)
        try temp.symlink("data", to: "target")  // the very inode the walk saw, behind a symlink
        #expect(!ReadAhead.willNeed(data, directory: directory, bytes: 8))  // O_NOFOLLOW: not followed
    }

    @Test("the walker announces each directory's entries, in visit order, before visiting them")
    func walkerAnnouncesEachDirectory() async throws {
        struct Announcing: FileSystemVisitor {
            var events: [String] = []
            mutating func willVisit(_ items: [WalkedItem]) async {
                events.append("will " + items.map { TreeEntry.displayName(of: $0.relativePath) }.joined(separator: ","))
            }
            mutating func visit(file item: WalkedItem) async throws -> TreeEntry? {
                events.append("visit " + TreeEntry.displayName(of: item.relativePath))
                return item.entry
            }
            mutating func leave(directory item: WalkedItem, children: [TreeEntry]) async throws -> TreeEntry? {
                events.append("leave " + TreeEntry.displayName(of: item.relativePath))
                return item.entry
            }
            mutating func report(_ error: PathError) async {}
        }
        let temp = try TemporaryDirectory()
        try temp.write("a", "1")
        try temp.write("m/x", "2")
        try temp.write("z", "3")
        var walker = FileSystemWalker(source: SourceSpec(path: temp.path))
        var visitor = Announcing()
        _ = try await walker.walk(visitor: &visitor)
        #expect(
            visitor.events == [
                "will a,m,z", "visit a", "will m/x", "visit m/x", "leave m", "visit z", "leave ",
            ])
    }
}
