import Foundation
import Glibc
import KeepStore
import Testing

@testable import KeepAgent

@Suite("File system walker")
struct FileSystemWalkerTests {
    static let nonUTF8Name: [UInt8] = [0x62, 0x61, 0x64, 0xff, 0x2e, 0x62, 0x69, 0x6e]

    /// The generated tree most tests walk.
    static func makeTree() throws -> TemporaryDirectory {
        let temp = try TemporaryDirectory()
        try temp.write("a.txt", "hello")
        try temp.write("empty", "")
        try temp.write("dir/nested/deep.txt", "deep")
        try temp.write("héllo ✓.txt", "unicode")
        try temp.symlink("link", to: "a.txt")
        try temp.symlink("loop1", to: "loop2")
        try temp.symlink("loop2", to: "loop1")
        try temp.write("hard1", "linked")
        #expect(link(temp.path + "/hard1", temp.path + "/hard2") == 0)
        #expect(mkfifo(temp.path + "/fifo", 0o600) == 0)
        let sparse = open(temp.path + "/sparse", O_CREAT | O_WRONLY, 0o644)
        #expect(sparse >= 0)
        #expect(ftruncate(sparse, 64 << 20) == 0)
        let block = [UInt8](repeating: 0x5a, count: 4096)
        #expect(block.withUnsafeBytes { pwrite(sparse, $0.baseAddress, 4096, 32 << 20) } == 4096)
        close(sparse)
        let odd = open(temp.cPath(nonUTF8Name), O_CREAT | O_WRONLY, 0o600)
        #expect(odd >= 0)
        close(odd)
        return temp
    }

    static func walk(_ spec: SourceSpec, _ visitor: RecordingVisitor = RecordingVisitor()) async throws -> (
        TreeEntry?, RecordingVisitor
    ) {
        var walker = FileSystemWalker(source: spec)
        var visitor = visitor
        let root = try await walker.walk(visitor: &visitor)
        return (root, visitor)
    }

    @Test func walksEveryKindInNameOrderWithoutFollowingSymlinks() async throws {
        let temp = try Self.makeTree()
        #expect(chmod(temp.path + "/a.txt", 0o4640) == 0)
        let hasXattr = setUserAttribute(path: temp.path + "/a.txt", name: "user.comment", value: Array("note".utf8))
        let (root, visitor) = try await Self.walk(SourceSpec(path: temp.path))
        #expect(visitor.errors.isEmpty)
        #expect(root?.kind == .directory)
        let top = try #require(visitor.trees[""])
        let names = top.entries.map(\.displayName)
        #expect(
            names == [
                "a.txt", "bad\\xff.bin", "dir", "empty", "fifo", "hard1", "hard2", "héllo ✓.txt", "link", "loop1",
                "loop2",
                "sparse",
            ])
        // Post-order: the nested file comes before its directories, the root comes last.
        let deep = try #require(visitor.order.firstIndex(of: "dir/nested/deep.txt"))
        #expect(deep < (try #require(visitor.order.firstIndex(of: "dir/nested"))))
        #expect(visitor.order.last == "")
        #expect(visitor.trees["dir/nested"]?.entries.map(\.displayName) == ["deep.txt"])

        let a = try #require(top.entry(named: Array("a.txt".utf8)))
        #expect(a.kind == .file && a.size == 5 && a.mode == 0o4640 && !a.userName.isEmpty)
        #expect(visitor.ranges["a.txt"] == [DataRange(offset: 0, length: 5)])
        if hasXattr {
            #expect(a.extendedAttributes == [ExtendedAttribute(name: "user.comment", value: Array("note".utf8))])
        }
        #expect(visitor.ranges["empty"] == [])
        #expect(top.entry(named: Array("fifo".utf8))?.kind == .fifo)
        #expect(top.entry(named: Array("link".utf8))?.symlinkTarget == Array("a.txt".utf8))
        #expect(top.entry(named: Array("loop1".utf8))?.symlinkTarget == Array("loop2".utf8))
        #expect(top.entry(named: Self.nonUTF8Name)?.kind == .file)
    }

    @Test func hardLinksShareAGroupAndOnlyTheFirstCarriesContent() async throws {
        let temp = try Self.makeTree()
        let (_, visitor) = try await Self.walk(SourceSpec(path: temp.path))
        let first = try #require(visitor.items["hard1"])
        let second = try #require(visitor.items["hard2"])
        #expect(first.entry.hardLinkGroup != 0)
        #expect(first.entry.hardLinkGroup == second.entry.hardLinkGroup)
        #expect(first.isFirstLink && first.needsContent)
        #expect(!second.isFirstLink && !second.needsContent)
        #expect(visitor.items["a.txt"]?.entry.hardLinkGroup == 0)
        #expect(visitor.items["a.txt"]?.changeKey == ChangeKey(try #require(visitor.items["a.txt"]).entry))
    }

    @Test func sparseFileReportsOnlyItsDataExtent() async throws {
        let temp = try Self.makeTree()
        let (_, visitor) = try await Self.walk(SourceSpec(path: temp.path))
        #expect(visitor.items["sparse"]?.entry.size == 64 << 20)
        let ranges = try #require(visitor.ranges["sparse"])
        #expect(ranges.count == 1)
        let range = try #require(ranges.first)
        #expect(range.offset <= 32 << 20 && range.offset + range.length >= (32 << 20) + 4096)
        #expect(range.length < 1 << 20)
    }

    @Test func excludesPruneSubtreesAndIncludesKeepPathsToMatches() async throws {
        let temp = try Self.makeTree()
        let (_, excluded) = try await Self.walk(SourceSpec(path: temp.path, exclude: ["dir/**", "**/*.txt"]))
        let names = try #require(excluded.trees[""]).entries.map(\.displayName)
        #expect(!names.contains("dir") && !names.contains("a.txt") && !names.contains("héllo ✓.txt"))
        #expect(names.contains("empty"))
        #expect(excluded.items["dir/nested/deep.txt"] == nil)

        let (_, included) = try await Self.walk(SourceSpec(path: temp.path, include: ["dir/nested/**"]))
        #expect(included.trees[""]?.entries.map(\.displayName) == ["dir"])
        #expect(included.trees["dir"]?.entries.map(\.displayName) == ["nested"])
        #expect(included.trees["dir/nested"]?.entries.map(\.displayName) == ["deep.txt"])
    }

    @Test func unreadableOrVanishingEntriesAreReportedAndTheWalkGoesOn() async throws {
        let temp = try Self.makeTree()
        try temp.write("zz-gone/file", "x")
        var visitor = RecordingVisitor()
        let doomed = temp.path + "/zz-gone"
        // Deleted after the listing, before the walker reaches it: the race a live system has.
        visitor.onVisit["sparse"] = { try? FileManager.default.removeItem(atPath: doomed) }
        if getuid() != 0 {
            // Root ignores permission bits, so this half runs only for unprivileged users.
            try temp.directory("locked")
            chmod(temp.path + "/locked", 0)
        }
        let (_, walked) = try await Self.walk(SourceSpec(path: temp.path), visitor)
        #expect(walked.errors.contains { $0.path.hasSuffix("/zz-gone") && $0.message == "vanished during the walk" })
        #expect(walked.trees[""]?.entry(named: Array("zz-gone".utf8)) == nil)
        #expect(walked.trees[""]?.entry(named: Array("sparse".utf8)) != nil)
        if getuid() != 0 {
            #expect(walked.errors.contains { $0.path.hasSuffix("/locked") && $0.errorNumber == EACCES })
            #expect(walked.trees[""]?.entry(named: Array("locked".utf8))?.kind == .directory)
        }
    }

    @Test func missingSourceIsAnError() async throws {
        await #expect(throws: (any Error).self) {
            _ = try await Self.walk(SourceSpec(path: "/nonexistent/keep-walker-test"))
        }
    }

    @Test func globsFollowPathnameRules() {
        #expect(PathGlob("*.log").matches(Array("a.log".utf8)))
        #expect(!PathGlob("*.log").matches(Array("x/a.log".utf8)))
        #expect(PathGlob("**/*.log").matches(Array("x/y/a.log".utf8)))
        #expect(PathGlob("**/*.log").matches(Array("a.log".utf8)))
        #expect(PathGlob("var/cache/**").matches(Array("var/cache".utf8)))
        #expect(PathGlob("var/*/tmp").matches(Array("var/x/tmp".utf8)))
        #expect(!PathGlob("var/*/tmp").matches(Array("var/x/y/tmp".utf8)))
        #expect(PathGlob("file[0-9].[!b]ak").matches(Array("file7.zak".utf8)))
        #expect(!PathGlob("file[0-9].[!b]ak").matches(Array("file7.bak".utf8)))
        #expect(PathGlob("a?c").matches(Array("abc".utf8)) && !PathGlob("a?c").matches(Array("a/c".utf8)))
        #expect(PathGlob("etc/nginx/**").couldMatchBelow(Array("etc".utf8)))
        #expect(!PathGlob("etc/nginx/**").couldMatchBelow(Array("var".utf8)))
    }
}
