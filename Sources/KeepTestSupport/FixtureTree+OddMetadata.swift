import Foundation

extension FixtureTree {
    /// `populate(_:seed:)` plus every other file type and the metadata a restore most easily loses:
    /// character and block devices, a unix socket, a sparse file, a hard link in another directory,
    /// names that are not UTF-8 / hold a newline / are 255 bytes long, foreign owners (with and
    /// without a name on this system, also on a symlink), extended attributes (user and trusted,
    /// empty values), sticky and set-gid directories, and mtimes with nanoseconds on files,
    /// directories and symlinks. Needs root (devices, owners, trusted attributes).
    public static func populateOddities(_ directory: String, seed: UInt64) throws {
        try populate(directory, seed: seed)
        let odd = directory + "/odd"
        for sub in ["odd/sticky", "odd/setgid/inner", "odd/owned"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
        try check(mknod(odd + "/char-device", S_IFCHR | 0o620, deviceNumber(major: 1, minor: 3)), "mknod")
        try check(mknod(odd + "/block-device", S_IFBLK | 0o660, deviceNumber(major: 7, minor: 200)), "mknod")
        try makeSocket(odd + "/app.sock")
        try writeSparse(odd + "/sparse.img", size: 6 << 20, seed: seed)
        try check(link(directory + "/data/blob.bin", odd + "/blob-third-link"), "link")
        try write(odd + "/sticky/tmpfile", "scratch\n", mode: 0o666)
        try check(chmod(odd + "/sticky", 0o1777), "chmod")
        try write(odd + "/setgid/inner/shared.txt", "group work\n", mode: 0o664)
        try check(chmod(odd + "/setgid", 0o2750), "chmod")

        // Names: not UTF-8, a newline, 255 bytes.
        try writeRaw(Array((odd + "/latin1-").utf8) + [0xe9, 0x74, 0xe9] + Array(".txt".utf8), "caf\u{e9}\n")
        try write(odd + "/new\nline", "a newline in the name\n")
        try write(odd + "/" + String(repeating: "n", count: 251) + ".txt", "long name\n")

        // Owners: a uid with no account, an account known by name (daemon), on a symlink too.
        try write(odd + "/owned/nobody-known.txt", "uid 1234\n", mode: 0o640)
        try check(chown(odd + "/owned/nobody-known.txt", 1234, 5678), "chown")
        try check(chown(odd + "/owned", 4321, 4321), "chown")
        try check(symlink("../odd/owned/nobody-known.txt", odd + "/owned-link"), "symlink")
        try check(lchown(odd + "/owned-link", 1, 1), "lchown")
        try check(symlink("/etc/hostname", odd + "/absolute-link"), "symlink")

        // Extended attributes: a user one, an empty one, a trusted (root-only) one, one on a directory.
        try setAttribute(odd + "/owned/nobody-known.txt", "user.comment", Array("owner has no name".utf8))
        try setAttribute(odd + "/owned/nobody-known.txt", "user.empty", [])
        try setAttribute(odd + "/sparse.img", "trusted.keep-test", [0x00, 0xff, 0x10])
        try setAttribute(odd + "/setgid", "user.dir-note", Array("on a directory".utf8))

        // Times last, children before their directories (creating an entry changes its directory's mtime).
        try setTime(odd + "/owned/nobody-known.txt", seconds: 1_000_000_000, nanoseconds: 123_456_789)
        try setTime(odd + "/owned-link", seconds: 1_100_000_000, nanoseconds: 987_654_321)
        try setTime(odd + "/sparse.img", seconds: 1_700_000_000, nanoseconds: 1)
        try setTime(odd + "/setgid/inner", seconds: 1_200_000_000, nanoseconds: 500_000_000)
        try setTime(odd + "/owned", seconds: 1_300_000_000, nanoseconds: 999_999_999)
        try setTime(odd + "/setgid", seconds: 1_400_000_000, nanoseconds: 42)
    }

    /// A file of `size` bytes with data only in its first and last 64 KiB (the rest a hole).
    static func writeSparse(_ path: String, size: Int, seed: UInt64) throws {
        try writeRandom(path, count: 65_536, seed: seed)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(size - 65_536))
        try handle.write(contentsOf: Data(repeating: 0x5a, count: 65_536))
        try handle.close()
    }

    /// Sets `name` on `path` without following a symlink.
    public static func setAttribute(_ path: String, _ name: String, _ value: [UInt8]) throws {
        try ExtendedAttributes.set(path, name, value)
    }

    /// Sets atime and mtime of `path` without following a symlink.
    public static func setTime(_ path: String, seconds: Int, nanoseconds: Int) throws {
        let time = timespec(tv_sec: seconds, tv_nsec: nanoseconds)
        let times = [time, time]
        try check(utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW), "utimensat")
    }

    private static func writeRaw(_ path: [UInt8], _ text: String) throws {
        let descriptor = open(path.map { CChar(bitPattern: $0) } + [0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try check(descriptor >= 0 ? 0 : -1, "open")
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        try check(Glibc.write(descriptor, bytes, bytes.count) == bytes.count ? 0 : -1, "write")
    }

    /// glibc's `makedev` (a macro Swift cannot import).
    private static func deviceNumber(major: UInt64, minor: UInt64) -> dev_t {
        dev_t((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | ((major & ~0xfff) << 32))
    }

    /// A unix socket bound at `path` (the descriptor is closed; the socket file stays).
    private static func makeSocket(_ path: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try check(descriptor >= 0 ? 0 : -1, "socket")
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw TestSupportError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try check(result, "bind")
    }
}
