/// Where pack files rest: a local directory today, an S3-compatible bucket at scale.
///
/// The contract every backend passes (`PackBackendConformance` in the tests):
/// - `write` is durable and atomic: after it returns the pack survives a crash, and a failed or
///   interrupted write leaves nothing readable under the id. Writing an existing id replaces it (packs are
///   content-addressed, so the bytes are the same).
/// - `read` returns exactly `length` bytes or throws; reading beyond the end is an error.
/// - `list` returns the ids of complete packs only, sorted.
/// - `delete` is idempotent: deleting a missing pack succeeds, so an interrupted prune can be retried.
/// - Pack ids are 64 lowercase hex digits; anything else is refused before touching storage.
public protocol PackBackend: Sendable {
    /// Stores `contents` under `packID`, durably and atomically.
    func write(packID: String, contents: [UInt8]) async throws
    /// Returns, for each range, its bytes of pack `packID`: a restore reads many objects of one pack
    /// at once (one open, one call across the executor boundary, for up to a few megabytes).
    func read(packID: String, ranges: [PackRange]) async throws -> [[UInt8]]
    /// Returns the size of pack `packID` in bytes.
    func size(packID: String) async throws -> UInt64
    /// Returns the ids of all stored packs, sorted.
    func list() async throws -> [String]
    /// Removes pack `packID`; succeeds when it does not exist.
    func delete(packID: String) async throws
}

/// Bytes of a pack: `offset ..< offset + length`.
public struct PackRange: Sendable, Hashable {
    public var offset: UInt64
    public var length: Int

    public init(offset: UInt64, length: Int) {
        self.offset = offset
        self.length = length
    }
}

extension PackBackend {
    /// Returns `length` bytes of pack `packID` starting at `offset`.
    public func read(packID: String, offset: UInt64, length: Int) async throws -> [UInt8] {
        try await read(packID: packID, ranges: [PackRange(offset: offset, length: length)])[0]
    }
}

/// Pack id syntax shared by all backends.
public enum PackID {
    /// Whether `packID` is 64 lowercase hex digits, the only names a backend stores.
    public static func isValid(_ packID: String) -> Bool {
        let utf8 = packID.utf8
        return utf8.count == 64 && utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
