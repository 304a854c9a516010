import Foundation
import KeepCrypto

/// Everything a restore or rollback must bring back for every entry below a directory — type, mode,
/// owner, size, mtime (to the nanosecond), symlink target, device number, extended attributes, content
/// hash and which entries are hard links of each other — and nothing it cannot (inode numbers, atime,
/// ctime). Two trees are identical for a user when their manifests are equal.
public struct Manifest: Sendable, Hashable, CustomStringConvertible {
    /// Keyed by the path relative to the manifest's directory (`.` for the directory itself); bytes that
    /// are not UTF-8 appear as `\xNN`.
    public var entries: [String: ManifestEntry]

    public init(entries: [String: ManifestEntry]) {
        self.entries = entries
    }

    /// What differs from `expected`, one readable line per path (empty when equal).
    public func differences(from expected: Manifest) -> [String] {
        var lines: [String] = []
        for path in Set(entries.keys).union(expected.entries.keys).sorted() {
            switch (expected.entries[path], entries[path]) {
            case (let want?, nil): lines.append("missing \(path): \(want)")
            case (nil, let got?): lines.append("unexpected \(path): \(got)")
            case (let want?, let got?) where want != got: lines.append("\(path): expected \(want), got \(got)")
            default: break
            }
        }
        return lines
    }

    /// The manifest with only the entries whose path `isIncluded` accepts.
    public func filter(_ isIncluded: (String) -> Bool) -> Manifest {
        Manifest(entries: entries.filter { isIncluded($0.key) })
    }

    public var description: String {
        entries.keys.sorted().map { "\($0): \(entries[$0].map(String.init(describing:)) ?? "")" }.joined(
            separator: "\n")
    }
}

/// One entry of a `Manifest`.
public struct ManifestEntry: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case file, directory, symlink, fifo, characterDevice, blockDevice, socket, unknown
    }

    public var kind: Kind
    /// Permission bits including set-uid, set-gid and sticky.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Regular files and symlinks; 0 for every other kind (a directory's size depends on the filesystem).
    public var size: Int64
    public var mtimeSeconds: Int
    public var mtimeNanoseconds: Int
    /// Symlinks only.
    public var linkTarget: String
    /// Devices only.
    public var rdev: UInt64
    /// Extended attribute name → value as hex.
    public var extendedAttributes: [String: String]
    /// SHA-256 of a regular file's content, hex; empty for other kinds.
    public var sha256: String
    /// For an entry with other hard links inside the manifest's directory: the first of their paths
    /// (sorted), so equal manifests link the same entries together; empty otherwise.
    public var hardLinkedTo: String

    public var description: String {
        var text =
            "\(kind) \(String(mode, radix: 8)) \(uid):\(gid) size \(size) mtime \(mtimeSeconds).\(mtimeNanoseconds)"
        if !linkTarget.isEmpty { text += " -> \(linkTarget)" }
        if rdev != 0 { text += " rdev \(rdev)" }
        if !extendedAttributes.isEmpty {
            text +=
                " xattrs "
                + extendedAttributes.keys.sorted().map { "\($0)=\(extendedAttributes[$0] ?? "")" }.joined(
                    separator: ",")
        }
        if !sha256.isEmpty { text += " sha256 \(sha256.prefix(12))" }
        if !hardLinkedTo.isEmpty { text += " hard link of \(hardLinkedTo)" }
        return text
    }
}

/// Reads the manifest of `directory` (which is included as `.`), never following a symlink.
public func manifest(of directory: String) throws -> Manifest {
    var entries: [String: ManifestEntry] = [:]
    var inodes: [[UInt64]: [String]] = [:]
    var pending: [(path: [UInt8], key: String)] = [(Array(directory.utf8), ".")]
    while let (path, key) = pending.popLast() {
        var info = stat()
        guard lstat(cPath(path), &info) == 0 else { throw manifestError("lstat", path) }
        let kind = ManifestFiles.kind(info.st_mode)
        var entry = ManifestEntry(
            kind: kind, mode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid,
            size: kind == .file || kind == .symlink ? Int64(info.st_size) : 0, mtimeSeconds: info.st_mtim.tv_sec,
            mtimeNanoseconds: info.st_mtim.tv_nsec, linkTarget: "",
            rdev: kind == .characterDevice || kind == .blockDevice ? UInt64(info.st_rdev) : 0,
            extendedAttributes: try ManifestFiles.extendedAttributes(path), sha256: "", hardLinkedTo: "")
        switch kind {
        case .symlink: entry.linkTarget = ManifestFiles.display(try ManifestFiles.linkTarget(path))
        case .file: entry.sha256 = try ManifestFiles.sha256(path)
        case .directory:
            for name in try ManifestFiles.names(in: path) {
                let display = ManifestFiles.display(name)
                pending.append((path + [0x2f] + name, key == "." ? display : key + "/" + display))
            }
        default: break
        }
        if kind != .directory && info.st_nlink > 1 {
            inodes[[UInt64(info.st_dev), UInt64(info.st_ino)], default: []].append(key)
        }
        entries[key] = entry
    }
    for paths in inodes.values where paths.count > 1 {
        let first = paths.sorted()[0]
        for path in paths { entries[path]?.hardLinkedTo = first }
    }
    return Manifest(entries: entries)
}

private func cPath(_ bytes: [UInt8]) -> [CChar] {
    bytes.map { CChar(bitPattern: $0) } + [0]
}

private func manifestError(_ what: String, _ path: [UInt8]) -> TestSupportError {
    TestSupportError("manifest: \(what) \(ManifestFiles.display(path)) failed: \(String(cString: strerror(errno)))")
}

/// The system calls behind `manifest(of:)`, on raw byte paths (names need not be UTF-8).
private enum ManifestFiles {
    static func kind(_ mode: mode_t) -> ManifestEntry.Kind {
        switch mode & S_IFMT {
        case S_IFREG: .file
        case S_IFDIR: .directory
        case S_IFLNK: .symlink
        case S_IFIFO: .fifo
        case S_IFCHR: .characterDevice
        case S_IFBLK: .blockDevice
        case S_IFSOCK: .socket
        default: .unknown
        }
    }

    /// Printable: UTF-8 as is, anything else as `\xNN`.
    static func display(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return bytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
    }

    static func names(in path: [UInt8]) throws -> [[UInt8]] {
        guard let directory = opendir(cPath(path)) else { throw manifestError("opendir", path) }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let item = readdir(directory) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name != [0x2e] && name != [0x2e, 0x2e] { names.append(name) }
        }
        return names
    }

    static func linkTarget(_ path: [UInt8]) throws -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink(cPath(path), &buffer, buffer.count)
        guard count >= 0 else { throw manifestError("readlink", path) }
        return buffer.prefix(count).map { UInt8(bitPattern: $0) }
    }

    static func sha256(_ path: [UInt8]) throws -> String {
        let descriptor = open(cPath(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw manifestError("open", path) }
        defer { close(descriptor) }
        let hasher = SHA256Hasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw manifestError("read", path) }
            if count == 0 { break }
            hasher.update(Array(buffer.prefix(count)))
        }
        return hasher.finalize().hex
    }

    static func extendedAttributes(_ path: [UInt8]) throws -> [String: String] {
        var attributes: [String: String] = [:]
        for (name, value) in try ExtendedAttributes.read(cPath(path)) {
            attributes[display(name)] = value.map { String(format: "%02x", $0) }.joined()
        }
        return attributes
    }
}
