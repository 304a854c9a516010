import KeepCore
import KeepCrypto

/// A finished pack: its id (hex SHA-256 of the bytes), the bytes to store, and the entries to record
/// in the catalog's chunk index.
public struct SealedPack: Sendable {
    public var packID: String
    public var bytes: [UInt8]
    public var entries: [PackEntry]
}

/// Collects sealed objects into one pack of about `targetSize` bytes.
///
/// Each object is sealed with AES-256-GCM under the repository key, with its id as AAD so a blob cannot
/// be passed off as another object. `finish()` appends the sealed index and the trailer and hands the bytes over (the builder is
/// spent; start a new one, which may reuse a written pack's buffer). Adding an id
/// already in this pack returns the existing entry and stores nothing.
public struct PackBuilder: Sendable {
    private let key: SymmetricKey
    /// Size at which `isFull` turns true; packs of tens of MiB keep file counts low and reads cheap.
    public let targetSize: Int
    private var bytes: [UInt8]
    private var entries: [PackEntry] = []
    private var positions: [ChunkID: Int] = [:]

    /// Starts an empty pack sealed under `key`, in `storage`'s memory when given (its contents are dropped).
    public init(key: SymmetricKey, targetSize: Int = 32 << 20, reusing storage: [UInt8] = []) {
        self.key = key
        self.targetSize = targetSize
        bytes = storage
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(min(targetSize, 64 << 20) + (4 << 20))
        bytes += PackFormat.header
    }

    /// Whether the pack reached its target size and should be finished.
    public var isFull: Bool { bytes.count >= targetSize }
    /// Whether no object was added yet.
    public var isEmpty: Bool { entries.isEmpty }
    /// Number of objects added.
    public var count: Int { entries.count }
    /// Bytes so far, trailer excluded.
    public var size: Int { bytes.count }

    /// Seals `payload` (zstd frame when `compressed`, else the plaintext) as object `id` of `type`.
    /// `plaintextLength` is the length after decompression.
    @discardableResult
    public mutating func add(
        id: ChunkID, type: ObjectType, payload: UnsafeRawBufferPointer, compressed: Bool, plaintextLength: Int
    ) throws -> PackEntry {
        if let position = positions[id] { return entries[position] }
        let storedLength = payload.count + AESGCM.overhead
        guard storedLength <= Int(UInt32.max), plaintextLength >= 0, plaintextLength <= Int(UInt32.max) else {
            throw PackError.objectTooLarge(id: id, bytes: max(payload.count, plaintextLength))
        }
        let sealed = try AESGCM.seal(payload, using: key, authenticating: id.bytes)
        let entry = PackEntry(id: id, type: type, offset: UInt64(bytes.count), length: UInt32(sealed.count),
                              plaintextLength: UInt32(plaintextLength), compressed: compressed)
        bytes += sealed
        positions[id] = entries.count
        entries.append(entry)
        return entry
    }

    /// Adds an array payload; see `add(id:type:payload:compressed:plaintextLength:)`.
    @discardableResult
    public mutating func add(id: ChunkID, type: ObjectType, payload: [UInt8], compressed: Bool,
                             plaintextLength: Int) throws -> PackEntry {
        try payload.withUnsafeBytes {
            try add(id: id, type: type, payload: $0, compressed: compressed, plaintextLength: plaintextLength)
        }
    }

    /// Appends the sealed index and trailer and names the pack by the SHA-256 of its bytes.
    public mutating func finish() throws -> SealedPack {
        var out: [UInt8] = []
        swap(&out, &bytes)
        let index = try AESGCM.seal(PackFormat.encodeIndex(entries), using: key, authenticating: PackFormat.header)
        out += index
        out += PackFormat.tail(indexLength: UInt32(index.count))
        return SealedPack(packID: SHA256.hash(out).hex, bytes: out, entries: entries)
    }
}
