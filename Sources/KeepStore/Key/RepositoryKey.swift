#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KeepCore
import KeepCrypto

/// scrypt cost of a passphrase-protected key file. The default (N = 2^15, r = 8, p = 1) costs about
/// 32 MiB and a tenth of a second: once per controller start, but expensive for an offline guesser.
public struct ScryptCost: Sendable, Hashable {
    public var n: UInt64
    public var r: UInt32
    public var p: UInt32

    /// The cost used for new key files.
    public static let `default` = ScryptCost(n: 1 << 15, r: 8, p: 1)

    /// A custom cost; tests use a cheap one.
    public init(n: UInt64, r: UInt32, p: UInt32) {
        self.n = n
        self.r = r
        self.p = p
    }
}

/// The repository master key: the AES-256 key that seals every pack.
///
/// It lives in a key file (mode 0600) next to the repository, in the clear or wrapped under a key derived
/// from a passphrase with scrypt. Losing the key file loses the backups: operators must back it up.
public enum RepositoryKey {
    /// Reads the key file at `path`, or on the first start creates a random master key and writes the key
    /// file atomically with mode 0600 (wrapped when `passphrase` is given).
    ///
    /// Refuses a key file that others can read, a wrong passphrase ("wrong passphrase for key file …"),
    /// and a passphrase mismatch in either direction.
    public static func loadOrCreate(at path: String, passphrase: [UInt8]?, cost: ScryptCost = .default) throws
        -> SymmetricKey
    {
        if let existing = try readIfPresent(path) {
            return try KeyFileFormat.decode(existing, passphrase: passphrase, path: path)
        }
        let key = SymmetricKey.random()
        let bytes =
            if let passphrase {
                try KeyFileFormat.encodeWrapped(key, passphrase: passphrase, cost: cost)
            } else {
                KeyFileFormat.encodePlain(key)
            }
        if try createExclusively(path, contents: bytes) {
            return key
        }
        // Another process created the file between our check and our link: use its key.
        guard let existing = try readIfPresent(path) else {
            throw KeepError(.io, "key file appeared and vanished while being created", context: path)
        }
        return try KeyFileFormat.decode(existing, passphrase: passphrase, path: path)
    }

    /// The file's bytes, or `nil` when it does not exist. Refuses group- or world-accessible files.
    private static func readIfPresent(_ path: String) throws -> [UInt8]? {
        let descriptor: Int32
        do {
            descriptor = try POSIXFile.openFile(path, flags: O_RDONLY)
        } catch let error as KeepError where error.code == .notFound {
            return nil
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw POSIXFile.error("stat", path: path) }
        guard status.st_mode & 0o077 == 0 else {
            throw KeepError(.permissionDenied,
                            "key file is accessible to other users (mode \(String(status.st_mode & 0o777, radix: 8)))",
                            context: path, hint: "run `chmod 600 \(path)` and check who could have copied it")
        }
        guard status.st_size <= 4096 else {
            throw KeepError(.integrity, "key file \(path) is too large to be a key file", context: path)
        }
        return try POSIXFile.readExactly(descriptor, offset: 0, length: Int(status.st_size), path: path)
    }

    /// Writes a temporary file (mode 0600) in the same directory, fsyncs it and hard-links it to `path`,
    /// which fails if `path` exists: two controllers starting together cannot overwrite each other's key.
    /// Returns `false` when `path` already existed.
    private static func createExclusively(_ path: String, contents: [UInt8]) throws -> Bool {
        let directory = parentDirectory(of: path)
        let temporary = directory + "/.tmp-key-" + Hex.encode(SecureRandom.bytes(6))
        let descriptor = try POSIXFile.openFile(temporary, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        defer { unlink(temporary) }
        do {
            try contents.withUnsafeBytes { try POSIXFile.writeAll(descriptor, $0, at: 0, path: temporary) }
            try POSIXFile.sync(descriptor, path: temporary)
        } catch {
            close(descriptor)
            throw error
        }
        close(descriptor)
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { return false }
            throw POSIXFile.error("create key file", path: path)
        }
        try POSIXFile.fsyncDirectory(directory)
        return true
    }

    private static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
