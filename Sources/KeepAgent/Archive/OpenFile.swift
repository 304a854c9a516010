import Glibc
import KeepCore

/// A regular file opened for backup, checked to be the inode the walk saw, with its data ranges.
///
/// The descriptor is closed when the value is released. Reads use `pread`, so one `OpenFile` can
/// be read from any task in any order.
public final class OpenFile: @unchecked Sendable {
    /// The read-only descriptor (owned by this object).
    public let descriptor: Int32
    /// Size when opened.
    public let size: UInt64
    /// The parts of the file that hold data, in order. A file without holes has one range
    /// `0 ..< size`; a sparse file only its data runs. Back up these and nothing else.
    public let dataRanges: [DataRange]

    init(descriptor: Int32, size: UInt64, dataRanges: [DataRange]) {
        self.descriptor = descriptor
        self.size = size
        self.dataRanges = dataRanges
    }

    deinit { close(descriptor) }

    /// Reads into `buffer` from `offset`; returns the bytes read, fewer than asked only at the end
    /// of the file.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KeepError) -> Int {
        var filled = 0
        while filled < buffer.count, let base = buffer.baseAddress {
            let result = pread(descriptor, base + filled, buffer.count - filled, off_t(offset) + off_t(filled))
            if result < 0 {
                if errno == EINTR { continue }
                throw KeepError(.io, "cannot read file: \(errorText(errno))")
            }
            if result == 0 { break }
            filled += result
        }
        return filled
    }
}

/// A run of file data: `offset ..< offset + length`.
public struct DataRange: Sendable, Hashable {
    public var offset: UInt64
    public var length: UInt64

    /// A range from its start and length.
    public init(offset: UInt64, length: UInt64) {
        self.offset = offset
        self.length = length
    }
}

enum SparseMap {
    // Linux values; Glibc only exports them with _GNU_SOURCE.
    static let seekData: Int32 = 3
    static let seekHole: Int32 = 4

    /// The data ranges of an open file: one range when it has no holes (judged by allocated blocks),
    /// otherwise found with `SEEK_DATA`/`SEEK_HOLE`. Falls back to the whole file when the filesystem
    /// cannot tell.
    static func dataRanges(descriptor: Int32, size: UInt64, allocatedBlocks: Int64) -> [DataRange] {
        guard size > 0 else { return [] }
        let whole = [DataRange(offset: 0, length: size)]
        if allocatedBlocks * 512 >= Int64(size) { return whole }
        var ranges: [DataRange] = []
        var position: off_t = 0
        let end = off_t(size)
        while position < end {
            let dataStart = lseek(descriptor, position, seekData)
            if dataStart < 0 {
                if errno == ENXIO { break }  // only a hole up to the end
                return whole
            }
            if dataStart >= end { break }
            var holeStart = lseek(descriptor, dataStart, seekHole)
            if holeStart < 0 { return whole }
            holeStart = min(holeStart, end)
            ranges.append(DataRange(offset: UInt64(dataStart), length: UInt64(holeStart - dataStart)))
            position = holeStart
        }
        return ranges
    }
}
