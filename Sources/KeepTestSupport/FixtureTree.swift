import Foundation

/// Builds source trees for backup tests with the awkward cases a real server has: symlinks (also
/// dangling), hard links, empty and large files, unicode names, set-uid and private modes, a fifo,
/// a file with no permission bits, nested directories.
public enum FixtureTree {
    /// Fills `directory` (which must exist). `seed` makes content differ between hosts; files under
    /// `shared/` depend only on `sharedSeed`, so hosts given the same one hold identical copies.
    /// `largeFileSize` bytes of incompressible data go to `shared/large.bin` (0 for none).
    public static func populate(_ directory: String, seed: UInt64, sharedSeed: UInt64 = 7, largeFileSize: Int = 0)
        throws
    {
        let manager = FileManager.default
        for sub in ["etc/app", "shared", "data/deep/deeper", "empty-dir"] {
            try manager.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
        try write(directory + "/etc/app/app.conf", "listen = 8080\nseed = \(seed)\n")
        try write(directory + "/etc/app/secret.key", "not really a key \(seed)\n", mode: 0o600)
        try write(directory + "/empty.txt", "")
        try write(directory + "/résumé-日本語 ✓.txt", "unicode name \(seed)\n")
        try write(directory + "/data/deep/deeper/notes.md", String(repeating: "line \(seed)\n", count: 500))
        try writeRandom(directory + "/data/blob.bin", count: 300_000, seed: seed)
        try write(directory + "/setuid-tool", "#!/bin/sh\necho hi\n", mode: 0o4755)
        try write(directory + "/no-permissions", "root can read this anyway\n", mode: 0o000)
        try writeRandom(directory + "/shared/common.bin", count: 200_000, seed: sharedSeed)
        if largeFileSize > 0 {
            try writeRandom(directory + "/shared/large.bin", count: largeFileSize, seed: sharedSeed &+ 1)
        }
        try check(symlink("etc/app/app.conf", directory + "/config-link"), "symlink")
        try check(symlink("/nonexistent/target", directory + "/dangling-link"), "symlink")
        try check(link(directory + "/data/blob.bin", directory + "/data/blob-hardlink.bin"), "link")
        try check(mkfifo(directory + "/pipe", 0o644), "mkfifo")
    }

    /// Writes `text` with `mode` (applied after writing, so 0o000 and set-uid modes stick).
    public static func write(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try check(chmod(path, mode), "chmod")
    }

    /// Writes `count` pseudo-random (incompressible, reproducible) bytes.
    public static func writeRandom(_ path: String, count: Int, seed: UInt64) throws {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        for index in words.indices {
            state &+= 0x9E37_79B9_7F4A_7C15
            var value = state
            value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
            value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
            words[index] = value ^ (value >> 31)
        }
        let data = words.withUnsafeBytes { Data($0.prefix(count)) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// What `lstat` says about each entry of `directory`, keyed by name: the expectation for `keepctl ls`.
    public static func listing(_ directory: String) throws -> [String: Entry] {
        var entries: [String: Entry] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = directory + "/" + name
            var info = stat()
            try check(lstat(path, &info), "lstat")
            let format = info.st_mode & S_IFMT
            let kind: Entry.Kind =
                switch format {
                case S_IFDIR: .directory
                case S_IFLNK: .symlink
                case S_IFIFO: .fifo
                case S_IFREG: .file
                default: .other
                }
            var target = ""
            if kind == .symlink {
                target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? ""
            }
            entries[name] = Entry(
                kind: kind, mode: UInt32(info.st_mode & 0o7777), size: kind == .file ? UInt64(info.st_size) : 0,
                linkTarget: target)
        }
        return entries
    }

    /// One directory entry as a user would check it.
    public struct Entry: Sendable, Hashable, CustomStringConvertible {
        public enum Kind: String, Sendable { case file, directory, symlink, fifo, other }
        public var kind: Kind
        public var mode: UInt32
        public var size: UInt64
        public var linkTarget: String

        public init(kind: Kind, mode: UInt32, size: UInt64, linkTarget: String) {
            self.kind = kind
            self.mode = mode
            self.size = size
            self.linkTarget = linkTarget
        }

        public var description: String {
            "\(kind) \(String(mode, radix: 8)) \(size)\(linkTarget.isEmpty ? "" : " -> \(linkTarget)")"
        }
    }

    static func check(_ result: Int32, _ what: String) throws {
        guard result == 0 else { throw TestSupportError("\(what) failed: \(String(cString: strerror(errno)))") }
    }
}
