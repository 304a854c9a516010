import KeepCore
import KeepCrypto

/// The frozen byte layout of a pack file, version 1 (Protocol/STORE-FORMAT.md §Pack file).
///
/// ```
/// header   "KEEPPACK" u32be(version)                      12 bytes
/// blobs    AES-GCM sealed boxes, AAD = object id           one per object
/// index    AES-GCM sealed box of the entry table, AAD = header bytes
/// tail     u32be(index length) "KEEPPACK" u32be(version)  16 bytes
/// ```
enum PackFormat {
    static let magic: [UInt8] = Array("KEEPPACK".utf8)
    static let version: UInt32 = 1
    static let headerLength = 12
    static let tailLength = 16
    /// id (32) type (1) flags (1) offset (8) length (4) plaintextLength (4).
    static let entryLength = 50
    static let compressedFlag: UInt8 = 0x01

    /// The header; also the AAD of the sealed index, binding the index to the format version.
    static var header: [UInt8] { magic + bigEndian(version) }

    static func tail(indexLength: UInt32) -> [UInt8] {
        bigEndian(indexLength) + magic + bigEndian(version)
    }

    static func encodeIndex(_ entries: [PackEntry]) -> [UInt8] {
        var out = bigEndian(UInt32(entries.count))
        out.reserveCapacity(4 + entries.count * entryLength)
        for entry in entries {
            out += entry.id.bytes
            out.append(entry.type.rawValue)
            out.append(entry.compressed ? compressedFlag : 0)
            out += bigEndian(entry.offset)
            out += bigEndian(entry.length)
            out += bigEndian(entry.plaintextLength)
        }
        return out
    }

    /// Parses and checks an index: the count matches, types and flags are known, and every blob lies
    /// between the header and `indexOffset`.
    static func decodeIndex(_ bytes: [UInt8], indexOffset: UInt64, pack: String) throws -> [PackEntry] {
        guard bytes.count >= 4 else { throw PackError.malformedIndex(pack: pack, reason: "shorter than its count") }
        let count = Int(readBigEndian(bytes, at: 0, as: UInt32.self))
        guard bytes.count == 4 + count * entryLength else {
            throw PackError.malformedIndex(pack: pack, reason: "\(count) entries but \(bytes.count) bytes")
        }
        var entries: [PackEntry] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let base = 4 + index * entryLength
            guard let id = ChunkID(bytes: bytes[base..<(base + 32)]),
                let type = ObjectType(rawValue: bytes[base + 32])
            else { throw PackError.malformedIndex(pack: pack, reason: "entry \(index) has an unknown type") }
            let flags = bytes[base + 33]
            guard flags & ~compressedFlag == 0 else {
                throw PackError.malformedIndex(pack: pack, reason: "entry \(index) has unknown flags \(flags)")
            }
            let entry = PackEntry(
                id: id, type: type, offset: readBigEndian(bytes, at: base + 34, as: UInt64.self),
                length: readBigEndian(bytes, at: base + 42, as: UInt32.self),
                plaintextLength: readBigEndian(bytes, at: base + 46, as: UInt32.self),
                compressed: flags & compressedFlag != 0)
            let (end, overflow) = entry.offset.addingReportingOverflow(UInt64(entry.length))
            guard entry.offset >= UInt64(headerLength), !overflow, end <= indexOffset,
                Int(entry.length) >= AESGCM.overhead
            else { throw PackError.malformedIndex(pack: pack, reason: "entry \(index) (\(id)) lies outside the blobs") }
            entries.append(entry)
        }
        return entries
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func readBigEndian<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as type: T.Type) -> T {
        var value: T = 0
        for index in 0..<MemoryLayout<T>.size {
            value = value << 8 | T(bytes[offset + index])
        }
        return value
    }
}
