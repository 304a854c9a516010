import KeepCore
import Testing

@testable import KeepStore

@Suite("Tree object format")
struct TreeFormatTests {
    static func id(_ seed: UInt8) throws -> ChunkID {
        try #require(ChunkID(bytes: [UInt8](repeating: seed, count: 32)))
    }

    static func sample() throws -> Tree {
        var file = TreeEntry(
            name: Array("file.txt".utf8), kind: .file, mode: 0o4755, uid: 1000, gid: 100, userName: "alice",
            groupName: "users", modificationTime: FileTime(seconds: 1_700_000_000, nanoseconds: 123_456_789),
            changeTime: FileTime(seconds: -5, nanoseconds: 999_999_999), inode: 42, device: 2049, size: 70_000,
            hardLinkGroup: 1)
        file.extendedAttributes = [
            ExtendedAttribute(name: "system.posix_acl_access", value: [2, 0, 0, 0]),
            ExtendedAttribute(name: "user.comment", value: Array("hi".utf8)),
        ]
        file.content = [
            Extent(offset: 0, chunks: [ChunkRef(id: try id(1), length: 4096), ChunkRef(id: try id(2), length: 100)]),
            Extent(offset: 65536, chunks: [ChunkRef(id: try id(3), length: 4464)]),
        ]
        let entries = [
            file,
            TreeEntry(name: Array("dir".utf8), kind: .directory, mode: 0o1777, subtree: try id(9)),
            TreeEntry(
                name: Array("link".utf8), kind: .symlink, mode: 0o777, size: 11,
                symlinkTarget: Array("../../etc/x".utf8)),
            TreeEntry(name: Array("fifo".utf8), kind: .fifo, mode: 0o600),
            TreeEntry(name: Array("tty".utf8), kind: .characterDevice, mode: 0o620, rdev: 0x0400),
            TreeEntry(name: Array("sda".utf8), kind: .blockDevice, mode: 0o660, rdev: 0x0800),
            TreeEntry(name: Array("sock".utf8), kind: .socket, mode: 0o755),
            TreeEntry(name: [0x66, 0xff, 0xfe, 0x2e, 0x62, 0x69, 0x6e], kind: .file, mode: 0o644),
            TreeEntry(name: Array("héllo ✓".utf8), kind: .file, mode: 0o644),
        ]
        return try Tree(entries: entries)
    }

    @Test func roundTripKeepsEveryField() throws {
        let tree = try Self.sample()
        let decoded = try Tree.decode(tree.encode())
        #expect(decoded == tree)
        #expect(Set(decoded.entries.map(\.kind)) == Set(TreeEntry.Kind.allCases))
        let file = try #require(decoded.entry(named: Array("file.txt".utf8)))
        #expect(file.content.map(\.length) == [4196, 4464])
        #expect(file.extendedAttributes.count == 2)
        #expect(decoded.entry(named: [0x66, 0xff, 0xfe, 0x2e, 0x62, 0x69, 0x6e])?.displayName == "f\\xff\\xfe.bin")
    }

    @Test func encodingIsDeterministicAndSorted() throws {
        let tree = try Self.sample()
        let shuffled = try Tree(entries: tree.entries.reversed())
        #expect(shuffled.encode() == tree.encode())
        #expect(Array(tree.encode().prefix(10)) == Array("KEEPTREE".utf8) + [0, 1])
        let names = tree.entries.map(\.name)
        #expect(names == names.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test func emptyTreeIsFourteenBytes() throws {
        let bytes = try Tree(entries: []).encode()
        #expect(bytes == Array("KEEPTREE".utf8) + [0, 1, 0, 0, 0, 0])
        #expect(try Tree.decode(bytes).entries.isEmpty)
    }

    @Test(arguments: [
        ([UInt8](), "empty"), (Array(".".utf8), "dot entry"), (Array("..".utf8), "dot entry"),
        (Array("a/b".utf8), "contains /"), (Array("/".utf8), "contains /"), ([0x61, 0x00, 0x62], "contains NUL"),
        ([UInt8](repeating: 0x61, count: 256), "longer than 255 bytes"),
    ])
    func hostileNamesAreRefused(name: [UInt8], reason: String) throws {
        // Padding keeps the entry count plausible, so the decoder gets as far as the name.
        let bytes = Self.encodeUnchecked([TreeEntry(name: name, kind: .file)]) + [UInt8](repeating: 0, count: 8)
        #expect {
            try Tree.decode(bytes)
        } throws: { error in
            switch error as? TreeFormatError {
            case .hostileName(_, let seen): seen == reason
            case .limitExceeded(let field, _, _): field == "name length" && name.count > 255
            default: false
            }
        }
        #expect(throws: TreeFormatError.self) { try Tree(entries: [TreeEntry(name: name, kind: .file)]) }
    }

    @Test func unsortedAndDuplicateNamesAreRefused() throws {
        let a = TreeEntry(name: Array("a".utf8), kind: .file)
        let b = TreeEntry(name: Array("b".utf8), kind: .file)
        #expect(throws: TreeFormatError.unsortedNames(index: 1, displayName: "a")) {
            try Tree.decode(Self.encodeUnchecked([b, a]))
        }
        #expect(throws: TreeFormatError.unsortedNames(index: 1, displayName: "a")) {
            try Tree.decode(Self.encodeUnchecked([a, a]))
        }
        #expect(throws: TreeFormatError.unsortedNames(index: 1, displayName: "a")) { try Tree(entries: [a, a]) }
    }

    @Test func symlinkTargetsAreDataButNeverContainNul() throws {
        let outside = TreeEntry(name: Array("l".utf8), kind: .symlink, symlinkTarget: Array("/../../etc/shadow".utf8))
        #expect(try Tree.decode(Self.encodeUnchecked([outside])).entries == [outside])
        let nul = TreeEntry(name: Array("l".utf8), kind: .symlink, symlinkTarget: [0x61, 0, 0x62])
        #expect(throws: TreeFormatError.invalidField(entry: "l", field: "target", reason: "contains NUL")) {
            try Tree.decode(Self.encodeUnchecked([nul]))
        }
    }

    @Test func everyTruncationIsRefused() throws {
        let bytes = try Self.sample().encode()
        for length in 0..<bytes.count {
            #expect(throws: TreeFormatError.self) { try Tree.decode(Array(bytes.prefix(length))) }
        }
        #expect(throws: TreeFormatError.trailingBytes(count: 1)) { try Tree.decode(bytes + [0]) }
    }

    @Test func lengthsPointingPastTheEndAreRefused() throws {
        let entry = TreeEntry(name: Array("abc".utf8), kind: .file)
        var bytes = Self.encodeUnchecked([entry])
        // entry count claims a million entries: refused before allocating.
        bytes[10...13] = [0, 0x0f, 0x42, 0x40]
        #expect(throws: TreeFormatError.truncated(offset: 10, needed: 1_000_000 * Tree.minimumEntrySize)) {
            try Tree.decode(bytes)
        }
        var longName = Self.encodeUnchecked([entry])
        longName[15...16] = [0, 200]  // name length 200 > remaining bytes
        #expect(throws: TreeFormatError.self) { try Tree.decode(longName) }
        var hugeCount = Self.encodeUnchecked([entry])
        hugeCount[10...13] = [0xff, 0xff, 0xff, 0xff]
        #expect(throws: TreeFormatError.limitExceeded(field: "entry count", value: 0xffff_ffff, limit: 16_777_216)) {
            try Tree.decode(hugeCount)
        }
    }

    @Test func badMagicVersionAndKindAreRefused() throws {
        let good = Self.encodeUnchecked([TreeEntry(name: Array("a".utf8), kind: .file)])
        var magic = good
        magic[0] = 0x6b
        #expect(throws: TreeFormatError.badMagic) { try Tree.decode(magic) }
        var version = good
        version[9] = 2
        #expect(throws: TreeFormatError.unsupportedVersion(2)) { try Tree.decode(version) }
        var kind = good
        kind[14] = 9
        #expect(throws: TreeFormatError.invalidField(entry: "a", field: "kind", reason: "unknown kind 9")) {
            try Tree.decode(kind)
        }
    }

    @Test func fieldsThatDoNotFitTheKindAreRefused() throws {
        let cases = [
            TreeEntry(name: [0x61], kind: .file, subtree: try Self.id(1)),
            TreeEntry(
                name: [0x61], kind: .directory,
                content: [Extent(offset: 0, chunks: [ChunkRef(id: try Self.id(1), length: 1)])]),
            TreeEntry(name: [0x61], kind: .file, symlinkTarget: [0x62]),
            TreeEntry(name: [0x61], kind: .file, mode: 0o10644),
            TreeEntry(name: [0x61], kind: .symlink),
            TreeEntry(
                name: [0x61], kind: .file,
                content: [
                    Extent(offset: 10, chunks: [ChunkRef(id: try Self.id(1), length: 10)]),
                    Extent(offset: 15, chunks: [ChunkRef(id: try Self.id(1), length: 10)]),
                ]),
            TreeEntry(
                name: [0x61], kind: .file,
                extendedAttributes: [
                    ExtendedAttribute(name: "user.b", value: []), ExtendedAttribute(name: "user.a", value: []),
                ]),
        ]
        for entry in cases {
            #expect(throws: TreeFormatError.self) { try Tree.decode(Self.encodeUnchecked([entry])) }
        }
    }

    @Test func displayNameEscapesOnlyWhatIsNotPrintableUTF8() {
        #expect(TreeEntry.displayName(of: Array("naïve.txt".utf8)) == "naïve.txt")
        #expect(TreeEntry.displayName(of: [0x61, 0x5c, 0x0a, 0xc3]) == "a\\\\\\x0a\\xc3")
        #expect(TreeEntry.displayName(of: [0xed, 0xa0, 0x80]) == "\\xed\\xa0\\x80")  // a surrogate is not UTF-8
    }

    /// Encodes entries in the given order without validation, as a hostile writer would.
    static func encodeUnchecked(_ entries: [TreeEntry]) -> [UInt8] {
        var out = Tree.magic
        out.appendBigEndian(Tree.version)
        out.appendBigEndian(UInt32(entries.count))
        for entry in entries { entry.encode(into: &out) }
        return out
    }
}
