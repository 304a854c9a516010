#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KeepCore
import KeepCrypto

/// Packs as files in a local directory: `<directory>/packs/<first two hex digits>/<packID>`.
///
/// The two-digit fan-out keeps directories to a few thousand entries for a repository of millions of
/// packs. Writes go to a hidden temporary file in the same directory that is fsynced, renamed into place
/// and made durable by fsyncing the directory, so a crash never leaves a partial pack under its name.
/// The calls block their thread on file I/O; callers that care run them off the cooperative pool.
public struct LocalPackBackend: PackBackend {
    /// The repository directory (it holds `packs/`).
    public let directory: String

    /// Temporary files start with this prefix; `list` never reports them.
    static let temporaryPrefix = ".tmp-"

    /// A backend rooted at `directory`; directories are created on the first write.
    public init(directory: String) {
        self.directory = directory
    }

    var packsDirectory: String { directory + "/packs" }

    func shardDirectory(_ packID: String) -> String { packsDirectory + "/" + String(packID.prefix(2)) }

    func path(_ packID: String) -> String { shardDirectory(packID) + "/" + packID }

    public func write(packID: String, contents: [UInt8]) async throws {
        try validate(packID)
        try POSIXFile.makeDirectory(directory, durableIn: nil)
        try POSIXFile.makeDirectory(packsDirectory, durableIn: directory)
        let shard = shardDirectory(packID)
        try POSIXFile.makeDirectory(shard, durableIn: packsDirectory)
        let temporary = shard + "/" + Self.temporaryPrefix + packID + "-" + Hex.encode(SecureRandom.bytes(6))
        let descriptor = try POSIXFile.openFile(temporary, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        do {
            do {
                try contents.withUnsafeBytes { try POSIXFile.writeUncached(descriptor, $0, path: shard) }
                try POSIXFile.sync(descriptor, path: shard)
            } catch {
                close(descriptor)
                throw error
            }
            guard close(descriptor) == 0 else { throw POSIXFile.error("close", path: shard) }
            guard rename(temporary, path(packID)) == 0 else { throw POSIXFile.error("rename into place", path: shard) }
        } catch {
            unlink(temporary)
            throw error
        }
        try POSIXFile.fsyncDirectory(shard)
    }

    public func read(packID: String, ranges: [PackRange]) async throws -> [[UInt8]] {
        try validate(packID)
        let descriptor = try openPack(packID)
        defer { close(descriptor) }
        return try ranges.map { range in
            try POSIXFile.readExactly(descriptor, offset: range.offset, length: range.length, path: path(packID))
        }
    }

    public func size(packID: String) async throws -> UInt64 {
        try validate(packID)
        let descriptor = try openPack(packID)
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw POSIXFile.error("stat", path: path(packID)) }
        return UInt64(status.st_size)
    }

    public func list() async throws -> [String] {
        let shards: [String]
        do {
            shards = try POSIXFile.entries(of: packsDirectory)
        } catch let error as KeepError where error.code == .notFound {
            return []
        }
        var packs: [String] = []
        for shard in shards where shard.utf8.count == 2 {
            for name in try POSIXFile.entries(of: packsDirectory + "/" + shard)
            where PackID.isValid(name) && name.hasPrefix(shard) {
                packs.append(name)
            }
        }
        return packs.sorted()
    }

    public func delete(packID: String) async throws {
        try validate(packID)
        guard unlink(path(packID)) == 0 else {
            if errno == ENOENT { return }
            throw POSIXFile.error("delete", path: path(packID))
        }
        try POSIXFile.fsyncDirectory(shardDirectory(packID))
    }

    private func openPack(_ packID: String) throws -> Int32 {
        do {
            return try POSIXFile.openFile(path(packID), flags: O_RDONLY)
        } catch let error as KeepError where error.code == .notFound {
            throw KeepError(.notFound, "pack \(packID) is not in the store", context: directory,
                            hint: "run `keepctl verify` to find snapshots that reference missing packs")
        }
    }

    private func validate(_ packID: String) throws {
        guard PackID.isValid(packID) else {
            throw KeepError(.protocolViolation, "invalid pack id \"\(packID.prefix(80))\"", context: directory,
                            hint: "pack ids are 64 lowercase hex digits")
        }
    }
}
