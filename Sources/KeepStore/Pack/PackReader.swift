import KeepCore
import KeepCrypto

/// Reads packs written by `PackBuilder`: the trailer index (to rebuild the chunk index from packs
/// alone) and single objects (decrypted, decompressed and checked against their id).
public enum PackReader {
    /// Reads the index of a pack held in memory.
    public static func entries(of pack: [UInt8], packID: String, key: SymmetricKey) throws -> [PackEntry] {
        try entries(packID: packID, size: UInt64(pack.count), key: key) { offset, length in
            Array(pack[Int(offset)..<(Int(offset) + length)])
        }
    }

    /// Reads the index of a pack of `size` bytes through `read(offset, length)`: two reads, the tail and
    /// then the index, so a remote pack is never downloaded whole.
    public static func entries(
        packID: String, size: UInt64, key: SymmetricKey, read: (UInt64, Int) throws -> [UInt8]
    ) throws -> [PackEntry] {
        let tailOffset = try tailOffset(packID: packID, size: size)
        let tail = try read(tailOffset, PackFormat.tailLength)
        let (indexOffset, indexLength) = try parseTail(tail, tailOffset: tailOffset, packID: packID)
        return try decodeIndex(try read(indexOffset, indexLength), indexOffset: indexOffset, packID: packID, key: key)
    }

    /// Reads the index of a pack stored in `backend`.
    public static func entries(packID: String, in backend: some PackBackend, key: SymmetricKey) async throws
        -> [PackEntry]
    {
        let size = try await backend.size(packID: packID)
        let tailOffset = try tailOffset(packID: packID, size: size)
        let tail = try await backend.read(packID: packID, offset: tailOffset, length: PackFormat.tailLength)
        let (indexOffset, indexLength) = try parseTail(tail, tailOffset: tailOffset, packID: packID)
        let index = try await backend.read(packID: packID, offset: indexOffset, length: indexLength)
        return try decodeIndex(index, indexOffset: indexOffset, packID: packID, key: key)
    }

    /// Decrypts and checks one object given its sealed blob (`entry.length` bytes at `entry.offset`).
    ///
    /// Any failure (wrong length, authentication, decompression, SHA-256 mismatch) throws
    /// `PackError.corruptObject` naming the object and `packID`.
    public static func object(_ entry: PackEntry, from blob: [UInt8], packID: String, key: SymmetricKey) throws
        -> [UInt8]
    {
        func corrupt(_ reason: String) -> PackError { .corruptObject(id: entry.id, pack: packID, reason: reason) }
        guard blob.count == Int(entry.length) else {
            throw corrupt("blob is \(blob.count) bytes, index says \(entry.length)")
        }
        let payload: [UInt8]
        do {
            payload = try AESGCM.open(blob, using: key, authenticating: entry.id.bytes)
        } catch {
            throw corrupt("does not decrypt (damaged bytes or wrong key)")
        }
        let plaintext: [UInt8]
        if entry.compressed {
            do {
                plaintext = try Zstd.decompress(payload, plaintextLength: Int(entry.plaintextLength))
            } catch {
                throw corrupt("does not decompress to \(entry.plaintextLength) bytes")
            }
        } else {
            guard payload.count == Int(entry.plaintextLength) else {
                throw corrupt("is \(payload.count) bytes, index says \(entry.plaintextLength)")
            }
            plaintext = payload
        }
        guard SHA256.hash(plaintext) == entry.id else { throw corrupt("SHA-256 of the plaintext differs from its id") }
        return plaintext
    }

    /// Reads and checks one object from a backend.
    public static func object(_ entry: PackEntry, packID: String, in backend: some PackBackend, key: SymmetricKey)
        async throws -> [UInt8]
    {
        let blob = try await backend.read(packID: packID, offset: entry.offset, length: Int(entry.length))
        return try object(entry, from: blob, packID: packID, key: key)
    }

    private static func tailOffset(packID: String, size: UInt64) throws -> UInt64 {
        let smallest = UInt64(PackFormat.headerLength + PackFormat.tailLength + AESGCM.overhead + 4)
        guard size >= smallest else { throw PackError.notAPack(pack: packID, reason: "only \(size) bytes") }
        return size - UInt64(PackFormat.tailLength)
    }

    private static func parseTail(_ tail: [UInt8], tailOffset: UInt64, packID: String) throws -> (UInt64, Int) {
        guard tail.count == PackFormat.tailLength else {
            throw PackError.notAPack(pack: packID, reason: "short read of the trailer")
        }
        guard Array(tail[4..<12]) == PackFormat.magic else {
            throw PackError.notAPack(pack: packID, reason: "no KEEPPACK trailer magic")
        }
        let version = PackFormat.readBigEndian(tail, at: 12, as: UInt32.self)
        guard version == PackFormat.version else { throw PackError.unsupportedVersion(pack: packID, version: version) }
        let indexLength = UInt64(PackFormat.readBigEndian(tail, at: 0, as: UInt32.self))
        guard indexLength >= UInt64(AESGCM.overhead + 4),
            indexLength <= tailOffset - UInt64(PackFormat.headerLength)
        else { throw PackError.notAPack(pack: packID, reason: "index length \(indexLength) out of range") }
        return (tailOffset - indexLength, Int(indexLength))
    }

    private static func decodeIndex(_ sealed: [UInt8], indexOffset: UInt64, packID: String, key: SymmetricKey)
        throws -> [PackEntry]
    {
        let plain: [UInt8]
        do {
            plain = try AESGCM.open(sealed, using: key, authenticating: PackFormat.header)
        } catch {
            throw PackError.unreadableIndex(pack: packID)
        }
        return try PackFormat.decodeIndex(plain, indexOffset: indexOffset, pack: packID)
    }
}
