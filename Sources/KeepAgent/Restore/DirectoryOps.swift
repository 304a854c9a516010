import Glibc
import KeepStore

/// The few `*at` system calls the walker, restore and rollback use, always relative to an open directory
/// and never following a symlink, so nothing they do can leave the directory tree they started from.
enum DirectoryOps {
    static let directoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC

    /// Raw name or path bytes as a NUL-terminated C string.
    static func cString(_ bytes: some Collection<UInt8>) -> [CChar] {
        bytes.map { CChar(bitPattern: $0) } + [0]
    }

    /// Opens `name` inside `parent` as a directory, refusing symlinks; -1 and `errno` on failure.
    static func openDirectory(_ parent: Int32, _ name: [UInt8]) -> Int32 {
        openat(parent, cString(name), directoryFlags)
    }

    /// Opens a directory given as components below `root`, one `openat(O_NOFOLLOW)` per level.
    /// Returns a new descriptor (a duplicate of `root` for no components) or the failing `errno`.
    static func openDirectory(root: Int32, components: [[UInt8]]) -> Result<Int32, Errno> {
        var current = dup(root)
        guard current >= 0 else { return .failure(Errno(errno)) }
        for component in components {
            let next = openDirectory(current, component)
            let code = errno
            close(current)
            guard next >= 0 else { return .failure(Errno(code)) }
            current = next
        }
        return .success(current)
    }

    /// `fstatat` without following a final symlink; `nil` (with `errno` set) when it fails.
    static func status(_ parent: Int32, _ name: [UInt8]) -> stat? {
        var result = stat()
        return fstatat(parent, cString(name), &result, AT_SYMLINK_NOFOLLOW) == 0 ? result : nil
    }

    /// A symlink's target, or `nil` if `name` is not a readable symlink.
    static func readLink(_ parent: Int32, _ name: [UInt8]) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4097)
        let count = buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return -1 }
            return readlinkat(parent, cString(name), base.assumingMemoryBound(to: CChar.self), 4097)
        }
        guard count > 0, count <= 4096 else { return nil }
        return Array(buffer[0..<count])
    }

    /// A fresh hidden name for a file being written next to its final name.
    static func temporaryName() -> [UInt8] {
        Array(".keep-tmp-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))".utf8)
    }

    /// All names in an open directory except `.` and `..`, in byte order; `nil` if it cannot be read.
    /// The descriptor stays owned by the caller.
    static func names(_ directory: Int32) -> [[UInt8]]? {
        let copy = dup(directory)
        guard copy >= 0, let stream = fdopendir(copy) else { return nil }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let record = readdir(stream) else { break }
            let name = withUnsafeBytes(of: record.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name.isEmpty || name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
        if errno != 0 { return nil }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Removes `name` from `parent`, with everything below it if it is a directory, never following
    /// symlinks. A missing entry is success. Returns the first `errno` that stopped it.
    static func removeTree(_ parent: Int32, _ name: [UInt8]) -> Errno? {
        let cName = cString(name)
        if unlinkat(parent, cName, 0) == 0 || errno == ENOENT { return nil }
        guard errno == EISDIR || errno == EPERM else { return Errno(errno) }
        let directory = openDirectory(parent, name)
        guard directory >= 0 else { return errno == ENOENT ? nil : Errno(errno) }
        defer { close(directory) }
        guard let children = names(directory) else { return Errno(errno == 0 ? EIO : errno) }
        for child in children {
            if let failure = removeTree(directory, child) { return failure }
        }
        if unlinkat(parent, cName, AT_REMOVEDIR) == 0 || errno == ENOENT { return nil }
        return Errno(errno)
    }

    /// `/proc/self/fd/<parent>/<name>`: a path for calls that have no `*at` form (xattrs) which
    /// resolves through the already-open parent, so the only name looked up is `name` itself.
    static func procPath(_ parent: Int32, _ name: [UInt8]) -> [UInt8] {
        Array("/proc/self/fd/\(parent)/".utf8) + name
    }
}

/// An `errno` value carried as a value, with its text.
struct Errno: Error, Hashable, CustomStringConvertible {
    var code: Int32
    init(_ code: Int32) { self.code = code }
    var description: String { errorText(code) }
}

/// Joins a parent path and a name for messages and maps (`/` handled).
func joinPath(_ parent: [UInt8], _ name: [UInt8]) -> [UInt8] {
    parent.last == 0x2f ? parent + name : parent + [0x2f] + name
}

/// Splits an absolute or relative path into its non-empty components.
func pathComponents(_ path: [UInt8]) -> [[UInt8]] {
    path.split(separator: 0x2f, omittingEmptySubsequences: true).map(Array.init)
}
