/// A bounds-checked cursor over a tree object: every read checks the remaining length first and
/// throws `.truncated` instead of trapping.
struct TreeByteReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }

    mutating func readBytes(_ count: Int) throws(TreeFormatError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw .truncated(offset: offset, needed: count) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(TreeFormatError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else { throw .truncated(offset: offset, needed: size) }
        var value: T = 0
        for index in offset..<offset + size { value = value << 8 | T(bytes[index]) }
        offset += size
        return value
    }

    /// A length field followed by that many bytes, refusing lengths above `limit` before reading.
    mutating func readCounted<L: FixedWidthInteger>(
        _: L.Type, limit: Int, field: String
    ) throws(TreeFormatError) -> [UInt8] {
        let length = try read(L.self)
        guard length <= limit else {
            throw .limitExceeded(field: field, value: UInt64(length), limit: UInt64(limit))
        }
        return try readBytes(Int(length))
    }

    /// A count field, refused when above `limit` or when even `minimumItemSize`-byte items could not
    /// fit in the remaining bytes (so a forged count never drives a large allocation).
    mutating func readCount<L: FixedWidthInteger>(
        _: L.Type, limit: Int, minimumItemSize: Int, field: String
    ) throws(TreeFormatError) -> Int {
        let countOffset = offset
        let count = try read(L.self)
        guard count <= limit else { throw .limitExceeded(field: field, value: UInt64(count), limit: UInt64(limit)) }
        let needed = Int(count) * minimumItemSize
        guard needed <= remaining else { throw .truncated(offset: countOffset, needed: needed) }
        return Int(count)
    }
}
