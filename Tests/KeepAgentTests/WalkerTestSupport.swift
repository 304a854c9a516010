import Foundation
import Glibc
import KeepStore
import Testing

@testable import KeepAgent

/// A visitor that records everything the walker hands it and builds real `Tree`s, so every
/// directory's children must pass the tree format's validation.
struct RecordingVisitor: FileSystemVisitor {
    var items: [String: WalkedItem] = [:]
    var order: [String] = []
    var ranges: [String: [DataRange]] = [:]
    var trees: [String: Tree] = [:]
    var errors: [PathError] = []
    /// Runs when a given relative path is visited, to change the filesystem mid-walk.
    var onVisit: [String: @Sendable () -> Void] = [:]

    mutating func visit(file item: WalkedItem) async throws -> TreeEntry? {
        let key = TreeEntry.displayName(of: item.relativePath)
        items[key] = item
        order.append(key)
        if item.needsContent { ranges[key] = try item.open().dataRanges }
        onVisit[key]?()
        return item.entry
    }

    mutating func leave(directory item: WalkedItem, children: [TreeEntry]) async throws -> TreeEntry? {
        let key = TreeEntry.displayName(of: item.relativePath)
        items[key] = item
        order.append(key)
        let tree = try Tree(entries: children)
        #expect(try Tree.decode(tree.encode()) == tree)
        trees[key] = tree
        return item.entry
    }

    mutating func report(_ error: PathError) async {
        errors.append(error)
    }
}

/// A temporary directory removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/keep-walk-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        path = try String(cString: #require(made))
    }

    deinit {
        _ = try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path + "/locked")
        try? FileManager.default.removeItem(atPath: path)
    }

    func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func directory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path + "/" + relative, withIntermediateDirectories: true)
    }

    func symlink(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path + "/" + relative, withDestinationPath: target)
    }

    /// The full path of a name given as raw bytes, as a C string.
    func cPath(_ name: [UInt8]) -> [CChar] {
        (Array(path.utf8) + [0x2f] + name).map { CChar(bitPattern: $0) } + [0]
    }
}

/// Sets a user xattr; false when the filesystem does not support them.
func setUserAttribute(path: String, name: String, value: [UInt8]) -> Bool {
    typealias Set =
        @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "setxattr") else { return false }
    let set = unsafeBitCast(symbol, to: Set.self)
    return value.withUnsafeBytes { set(path, name, $0.baseAddress, value.count, 0) } == 0
}
