import Foundation
import Glibc
import KeepCore
import KeepCrypto
import Testing

@testable import KeepAgent
@testable import KeepStore

/// Snapshot objects kept in memory: the `ObjectSource` restore and rollback tests read from.
/// Trees are kept as values so a test can plant a hostile one the encoder would refuse.
final class InMemoryObjectSource: ObjectSource, @unchecked Sendable {
    private let lock = NSLock()
    private var trees: [ChunkID: Tree] = [:]
    private var chunks: [ChunkID: [UInt8]] = [:]
    /// Data chunks whose stored bytes were cut short, to test the length check.
    private var truncated: Set<ChunkID> = []

    func add(tree: Tree) -> ChunkID {
        let id = SHA256.hash(tree.encode())
        lock.withLock { trees[id] = tree }
        return id
    }

    /// A tree that bypasses validation (hostile names, duplicates); given a made-up id.
    func addUnchecked(entries: [TreeEntry]) -> ChunkID {
        let tree = Tree(validatedEntries: entries)
        let id = SHA256.hash(Array("unchecked-\(entries.map(\.name))".utf8))
        lock.withLock { trees[id] = tree }
        return id
    }

    func add(data: [UInt8]) -> ChunkRef {
        let id = SHA256.hash(data)
        lock.withLock { chunks[id] = data }
        return ChunkRef(id: id, length: UInt32(data.count))
    }

    func truncate(_ id: ChunkID) {
        lock.withLock { _ = truncated.insert(id) }
    }

    func tree(_ id: ChunkID) async throws -> Tree {
        guard let tree = lock.withLock({ trees[id] }) else { throw KeepError(.notFound, "no tree \(id)") }
        return tree
    }

    func data(_ id: ChunkID) async throws -> [UInt8] {
        guard let bytes = lock.withLock({ chunks[id] }) else { throw KeepError(.notFound, "no chunk \(id)") }
        return lock.withLock { truncated.contains(id) } ? Array(bytes.dropLast()) : bytes
    }
}

/// Archives walked files into an `InMemoryObjectSource`, like the real archiver: default chunker
/// over each data range, one tree per directory.
struct MemoryArchiver: FileSystemVisitor {
    let store: InMemoryObjectSource
    var errors: [PathError] = []

    mutating func visit(file item: WalkedItem) async throws -> TreeEntry? {
        var entry = item.entry
        guard item.needsContent else { return entry }
        let file = try item.open()
        for range in file.dataRanges {
            let bytes = try file.read(at: range.offset, count: Int(range.length))
            var chunks: [ChunkRef] = []
            var start = 0
            var chunker = Chunker()
            while start < bytes.count {
                let boundary = bytes.withUnsafeBytes { raw in
                    chunker.nextBoundary(in: UnsafeRawBufferPointer(rebasing: raw[start...]), atEOF: true)
                }
                guard let boundary else { break }
                chunks.append(store.add(data: Array(bytes[start..<start + boundary])))
                start += boundary
            }
            if !chunks.isEmpty { entry.content.append(Extent(offset: range.offset, chunks: chunks)) }
        }
        return entry
    }

    mutating func leave(directory item: WalkedItem, children: [TreeEntry]) async throws -> TreeEntry? {
        var entry = item.entry
        entry.subtree = store.add(tree: try Tree(entries: children))
        return entry
    }

    mutating func report(_ error: PathError) async { errors.append(error) }
}

/// Backs up `sources` (absolute snapshot paths such as `/srv/data`) found below `hostRoot`, and
/// returns the snapshot's root tree id: like `SnapshotRoot`, `/` → `srv` → `data`.
func takeSnapshot(hostRoot: String, sources: [String], into store: InMemoryObjectSource) async throws -> ChunkID {
    final class Node {
        var entry: TreeEntry?
        var children: [[UInt8]: Node] = [:]
    }
    let top = Node()
    for source in sources {
        var walker = FileSystemWalker(source: SourceSpec(path: hostRoot + source))
        var archiver = MemoryArchiver(store: store)
        var entry = try #require(try await walker.walk(visitor: &archiver))
        #expect(archiver.errors.isEmpty, "\(archiver.errors)")
        var node = top
        var prefix = hostRoot
        for component in source.split(separator: "/") {
            prefix += "/" + component
            let name = Array(component.utf8)
            let child = node.children[name] ?? Node()
            if child.entry == nil {
                var status = stat()
                #expect(lstat(prefix, &status) == 0)
                child.entry = TreeEntry(
                    name: name, kind: .directory, mode: status.st_mode & 0o7777, uid: status.st_uid,
                    gid: status.st_gid,
                    modificationTime: FileTime(
                        seconds: Int64(status.st_mtim.tv_sec), nanoseconds: UInt32(status.st_mtim.tv_nsec)))
            }
            node.children[name] = child
            node = child
        }
        entry.name = node.entry?.name ?? entry.name
        node.entry = entry
    }
    func storeNode(_ node: Node) throws -> ChunkID {
        var entries: [TreeEntry] = []
        for child in node.children.values {
            guard var entry = child.entry else { continue }
            if entry.kind == .directory, entry.subtree == nil { entry.subtree = try storeNode(child) }
            entries.append(entry)
        }
        return store.add(tree: try Tree(entries: entries))
    }
    return try storeNode(top)
}

/// Everything a user would compare between two trees, one line per path (relative to the root):
/// type, mode, owner, size, mtime, link target, device, xattrs, hard-link grouping and a SHA-256 of
/// the content. Inode numbers and ctimes are left out: they always differ.
struct TreeManifestVisitor: FileSystemVisitor {
    var lines: [String: String] = [:]

    mutating func visit(file item: WalkedItem) async throws -> TreeEntry? {
        var line = describe(item.entry)
        if item.entry.kind == .file {
            let file = try item.open()
            let bytes = try file.read(at: 0, count: Int(file.size))
            line += " sha256=\(SHA256.hash(bytes).hex)"
        }
        lines[TreeEntry.displayName(of: item.relativePath)] = line
        return item.entry
    }

    mutating func leave(directory item: WalkedItem, children: [TreeEntry]) async throws -> TreeEntry? {
        lines[TreeEntry.displayName(of: item.relativePath)] = describe(item.entry)
        return item.entry
    }

    mutating func report(_ error: PathError) async {
        lines["error " + error.path] = error.message
    }

    private func describe(_ entry: TreeEntry) -> String {
        let mode = entry.kind == .symlink ? "-" : String(entry.mode, radix: 8)
        let attributes = entry.extendedAttributes.map { "\(TreeEntry.displayName(of: $0.name))=\($0.value)" }
        return "\(entry.kind) mode=\(mode) owner=\(entry.uid):\(entry.gid) size=\(entry.size) "
            + "mtime=\(entry.modificationTime) target=\(TreeEntry.displayName(of: entry.symlinkTarget)) "
            + "rdev=\(entry.rdev) link=\(entry.hardLinkGroup) xattrs=\(attributes)"
    }
}

/// The manifest of the tree at `path`.
func treeManifest(_ path: String) async throws -> [String: String] {
    var walker = FileSystemWalker(source: SourceSpec(path: path))
    var visitor = TreeManifestVisitor()
    _ = try await walker.walk(visitor: &visitor)
    return visitor.lines
}

/// Writes a file with exact bytes, mode and mtime.
func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, mtime: Int = 1_600_000_000) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
    try #require(descriptor >= 0, "cannot create \(path): \(errno)")
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, bytes.count) }
    close(descriptor)
    try #require(written == bytes.count)
    #expect(chmod(path, mode) == 0)
    setTime(path, mtime)
}

func setTime(_ path: String, _ seconds: Int) {
    var times = [timespec(tv_sec: seconds, tv_nsec: 123_456_789), timespec(tv_sec: seconds, tv_nsec: 123_456_789)]
    #expect(utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0)
}

func makeDirectory(_ path: String, mode: mode_t = 0o755) {
    #expect(mkdir(path, mode) == 0 || errno == EEXIST)
    #expect(chmod(path, mode) == 0)
}

/// True when nothing exists at `path` (not even a dangling symlink).
func absent(_ path: String) -> Bool {
    var status = stat()
    return lstat(path, &status) != 0 && errno == ENOENT
}

func contents(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

/// The names in a directory (without `.` and `..`), sorted; nil if it cannot be opened.
func listNames(_ path: String) -> [String]? {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    return DirectoryOps.names(descriptor)?.map { TreeEntry.displayName(of: $0) }
}

/// `count` random bytes from the kernel (fast even in debug builds).
func randomBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    defer { close(descriptor) }
    var filled = 0
    while filled < count {
        let got = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress.map { $0 + filled }, count - filled) }
        if got <= 0 { break }
        filled += got
    }
    return bytes
}

extension OpenFile {
    /// The whole of `count` bytes at `offset` (fewer at the end of the file), for tests.
    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let read = try bytes.withUnsafeMutableBytes { try self.read(at: offset, into: $0) }
        bytes.removeLast(count - read)
        return bytes
    }
}
