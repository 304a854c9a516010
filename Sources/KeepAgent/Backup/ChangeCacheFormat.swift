import Foundation
import KeepCore
import KeepStore

/// The change cache's file format, version 1 (little-endian):
///
///     magic "KEEPCC" u16 version=1 | root id (32) | u32 file count |
///     per file: u32 path length, path | u64 size | i64 mtime, u32 ns | i64 ctime, u32 ns | u64 inode |
///               u64 device | u32 extent count | per extent: u64 offset, u32 chunk count,
///               per chunk: id (32), u32 length
///
/// Decoding is total: any truncation or impossible count yields `nil` and the agent reads every file.
enum ChangeCacheFormat {
    static let magic: [UInt8] = Array("KEEPCC".utf8)
    static let version: UInt16 = 1

    static func encode(_ cache: ChangeCache) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + cache.files.count * 120)
        out += magic
        append(version, to: &out)
        out += cache.root?.bytes ?? [UInt8](repeating: 0, count: 32)
        append(UInt32(cache.files.count), to: &out)
        for (path, record) in cache.files {
            append(UInt32(path.count), to: &out)
            out += path
            append(record.size, to: &out)
            append(UInt64(bitPattern: record.mtime), to: &out)
            append(record.mtimeNanos, to: &out)
            append(UInt64(bitPattern: record.ctime), to: &out)
            append(record.ctimeNanos, to: &out)
            append(record.inode, to: &out)
            append(record.device, to: &out)
            append(UInt32(record.extents.count), to: &out)
            for extent in record.extents {
                append(extent.offset, to: &out)
                append(UInt32(extent.chunks.count), to: &out)
                for chunk in extent.chunks {
                    out += chunk.id.bytes
                    append(chunk.length, to: &out)
                }
            }
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> ChangeCache? {
        var reader = Reader(bytes: bytes)
        guard reader.take(magic.count).map(Array.init) == magic, reader.integer(UInt16.self) == version,
            let rootBytes = reader.take(32), let root = ChunkID(bytes: rootBytes),
            let count = reader.integer(UInt32.self)
        else { return nil }
        var cache = ChangeCache(root: root)
        cache.files.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let pathLength = reader.integer(UInt32.self), let path = reader.take(Int(pathLength)),
                let size = reader.integer(UInt64.self), let mtime = reader.integer(UInt64.self),
                let mtimeNanos = reader.integer(UInt32.self), let ctime = reader.integer(UInt64.self),
                let ctimeNanos = reader.integer(UInt32.self), let inode = reader.integer(UInt64.self),
                let device = reader.integer(UInt64.self), let extentCount = reader.integer(UInt32.self),
                Int(extentCount) <= reader.remaining / 12
            else { return nil }
            var extents: [Extent] = []
            extents.reserveCapacity(Int(extentCount))
            for _ in 0..<extentCount {
                guard let offset = reader.integer(UInt64.self), let chunkCount = reader.integer(UInt32.self),
                    Int(chunkCount) <= reader.remaining / 36
                else { return nil }
                var chunks: [ChunkRef] = []
                chunks.reserveCapacity(Int(chunkCount))
                for _ in 0..<chunkCount {
                    guard let idBytes = reader.take(32), let id = ChunkID(bytes: idBytes),
                        let length = reader.integer(UInt32.self)
                    else { return nil }
                    chunks.append(ChunkRef(id: id, length: length))
                }
                extents.append(Extent(offset: offset, chunks: chunks))
            }
            cache.files[Data(path)] = ChangeCache.Record(
                size: size, mtime: Int64(bitPattern: mtime), mtimeNanos: mtimeNanos, ctime: Int64(bitPattern: ctime),
                ctimeNanos: ctimeNanos, inode: inode, device: device, extents: extents)
        }
        return reader.remaining == 0 ? cache : nil
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    /// A bounds-checked cursor over the file's bytes.
    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        var remaining: Int { bytes.count - position }

        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, count <= remaining else { return nil }
            defer { position += count }
            return bytes[position..<position + count]
        }

        mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard let slice = take(MemoryLayout<T>.size) else { return nil }
            var value: T = 0
            withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: slice) }
            return T(littleEndian: value)
        }
    }
}
