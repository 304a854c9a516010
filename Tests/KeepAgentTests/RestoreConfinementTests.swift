import Foundation
import Glibc
import KeepCore
import Testing

@testable import KeepAgent
@testable import KeepStore

/// Hostile snapshots and hostile targets: nothing may be written outside the target directory.
@Suite("Restore confinement")
struct RestoreConfinementTests {
    /// A target directory and an "outside" directory next to it that must stay empty.
    final class Arena {
        let base: TemporaryDirectory
        var target: String { base.path + "/target" }
        var outside: String { base.path + "/outside" }

        init() throws {
            base = try TemporaryDirectory()
            makeDirectory(base.path + "/target")
            makeDirectory(base.path + "/outside")
        }

        var outsideIsEmpty: Bool { listNames(outside) == [] && listNames(base.path) == ["outside", "target"] }
    }

    static func file(_ name: String, _ text: String, in store: InMemoryObjectSource) -> TreeEntry {
        let chunk = store.add(data: Array(text.utf8))
        return TreeEntry(
            name: Array(name.utf8), kind: .file, mode: 0o644, size: UInt64(text.utf8.count),
            content: [Extent(offset: 0, chunks: [chunk])])
    }

    static func directory(_ name: String, _ subtree: ChunkID) -> TreeEntry {
        TreeEntry(name: Array(name.utf8), kind: .directory, mode: 0o755, subtree: subtree)
    }

    static func symlink(_ name: String, to target: String) -> TreeEntry {
        TreeEntry(
            name: Array(name.utf8), kind: .symlink, mode: 0o777, size: UInt64(target.utf8.count),
            symlinkTarget: Array(target.utf8))
    }

    @Test func aDotDotEntryRefusesItsDirectory() async throws {
        let arena = try Arena()
        let store = InMemoryObjectSource()
        let hostile = store.addUnchecked(entries: [
            TreeEntry(
                name: [0x2e, 0x2e], kind: .directory, mode: 0o755,
                subtree: store.add(tree: try Tree(entries: [Self.file("pwned", "x", in: store)]))),
            Self.file("ok", "fine", in: store),
        ])
        let root = store.add(
            tree: try Tree(entries: [Self.directory("etc", hostile), Self.file("top", "t", in: store)]))

        let summary = try await Restorer(source: store).restore(snapshot: root, to: arena.target)

        #expect(summary.errors.count == 1)
        #expect(summary.errors.first?.path == "/etc")
        #expect(summary.errors.first?.message.contains("hostile") == true)
        #expect(absent(arena.target + "/etc/ok"), "no child of a hostile tree is restored")
        #expect(contents(arena.target + "/top") == "t")
        #expect(absent(arena.base.path + "/pwned"))
        #expect(arena.outsideIsEmpty)
    }

    @Test func aSymlinkFollowedByADirectoryOfTheSameNameIsRefused() async throws {
        let arena = try Arena()
        let store = InMemoryObjectSource()
        let inner = store.add(tree: try Tree(entries: [Self.file("pwned", "x", in: store)]))
        let root = store.addUnchecked(entries: [
            Self.symlink("escape", to: arena.outside), Self.directory("escape", inner),
        ])

        let summary = try await Restorer(source: store).restore(snapshot: root, to: arena.target)

        #expect(summary.errors.first?.message.contains("hostile") == true)
        #expect(absent(arena.target + "/escape"))
        #expect(arena.outsideIsEmpty)
    }

    @Test func aSymlinkRestoredEarlierIsNotFollowedByALaterRestore() async throws {
        let arena = try Arena()
        let store = InMemoryObjectSource()
        let first = store.add(
            tree: try Tree(entries: [
                Self.symlink("escape", to: arena.outside), Self.symlink("conf", to: arena.outside + "/victim"),
                Self.symlink("up", to: "../outside"),
            ]))
        let inner = store.add(tree: try Tree(entries: [Self.file("pwned", "x", in: store)]))
        let second = store.add(
            tree: try Tree(entries: [
                Self.file("conf", "mine", in: store), Self.directory("escape", inner), Self.directory("up", inner),
            ]))
        let restorer = Restorer(source: store)

        let before = try await restorer.restore(snapshot: first, to: arena.target)
        let after = try await restorer.restore(snapshot: second, to: arena.target)

        #expect(before.errors.isEmpty)
        #expect(Set(after.errors.map(\.path)) == ["/escape", "/up"])
        #expect(after.errors.allSatisfy { $0.message.contains("not followed") })
        var status = stat()
        #expect(lstat(arena.target + "/conf", &status) == 0 && status.st_mode & 0o170000 == 0o100000)
        #expect(contents(arena.target + "/conf") == "mine", "the symlink was replaced, not written through")
        #expect(arena.outsideIsEmpty)
    }

    @Test func aSymlinkPlantedInTheTargetIsNotFollowed() async throws {
        let arena = try Arena()
        #expect(Glibc.symlink(arena.outside, arena.target + "/etc") == 0)
        let store = InMemoryObjectSource()
        let etc = store.add(tree: try Tree(entries: [Self.file("passwd", "root::0:0", in: store)]))
        let root = store.add(tree: try Tree(entries: [Self.directory("etc", etc)]))

        let whole = try await Restorer(source: store).restore(snapshot: root, to: arena.target)
        let selected = try await Restorer(source: store).restore(
            snapshot: root, paths: ["/etc/passwd"], to: arena.target)

        #expect(whole.errors.map(\.path) == ["/etc"])
        #expect(selected.errors.map(\.path) == ["/etc"])
        #expect(arena.outsideIsEmpty)
    }

    @Test func selectedPathsWithDotDotAreRefused() async throws {
        let arena = try Arena()
        let store = InMemoryObjectSource()
        let root = store.add(tree: try Tree(entries: [Self.file("a", "a", in: store)]))

        let summary = try await Restorer(source: store).restore(
            snapshot: root, paths: ["/../outside/a"], to: arena.target)

        #expect(summary.errors.count == 1)
        #expect(listNames(arena.target) == [])
        #expect(arena.outsideIsEmpty)
    }
}
