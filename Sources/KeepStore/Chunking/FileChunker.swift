#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KeepCore

/// Streams a file descriptor (or any byte source) through a `Chunker` using one fixed buffer.
///
/// Memory stays bounded whatever the file size: the buffer holds `maximumSize + readSize` bytes and
/// `readSize` is at most `maximumSize`, so a 100 GB file needs no more than twice the maximum chunk size.
/// `withNextChunk(_:)` lends each chunk without copying; `next()` returns a copy.
///
/// Not thread-safe: one chunker belongs to one task.
public final class FileChunker {
    /// Reads up to `buffer.count` bytes into `buffer`; returns how many, 0 at end of stream.
    public typealias Source = (UnsafeMutableRawBufferPointer) throws -> Int

    private var chunker: Chunker
    private let source: Source
    private let readSize: Int
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var atEOF = false

    /// The bytes the chunker holds at most, whatever the stream length.
    public var bufferCapacity: Int { buffer.count }

    /// Chunks whatever `source` yields, reading `readSize` bytes at a time (clamped to 64 KiB...maximum).
    public init(parameters: ChunkerParameters = .default, readSize: Int = 1 << 20, source: @escaping Source) {
        chunker = Chunker(parameters: parameters)
        self.source = source
        self.readSize = min(max(readSize, 64 << 10), parameters.maximumSize)
        buffer = .allocate(byteCount: parameters.maximumSize + self.readSize, alignment: 16)
    }

    /// Chunks an open file descriptor from its current offset; the descriptor stays owned by the caller.
    /// `path` only names the file in errors.
    public convenience init(
        fileDescriptor: Int32, path: String = "file", parameters: ChunkerParameters = .default,
        readSize: Int = 1 << 20
    ) {
        self.init(parameters: parameters, readSize: readSize) { target in
            while true {
                let count = read(fileDescriptor, target.baseAddress, target.count)
                if count >= 0 { return count }
                if errno == EINTR { continue }
                throw KeepError(.io, "cannot read: \(String(cString: strerror(errno)))", context: path)
            }
        }
    }

    deinit { buffer.deallocate() }

    /// Lends the next chunk to `body` (valid only during the call) or returns `nil` at end of stream.
    public func withNextChunk<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result? {
        let maximum = chunker.parameters.maximumSize
        while !atEOF && end - start < maximum {
            try fill()
        }
        guard let length = chunker.nextBoundary(in: UnsafeRawBufferPointer(rebasing: buffer[start..<end]),
                                                atEOF: atEOF)
        else { return nil }
        let chunk = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + length)])
        start += length
        return try body(chunk)
    }

    /// Returns a copy of the next chunk, or `nil` at end of stream.
    public func next() throws -> [UInt8]? {
        try withNextChunk { [UInt8]($0) }
    }

    /// Reads once from the source into the free tail, first moving pending bytes to the front if the
    /// tail is shorter than `readSize`.
    private func fill() throws {
        if buffer.count - end < readSize && start > 0 {
            let pending = end - start
            if pending > 0, let base = buffer.baseAddress {
                base.copyMemory(from: base + start, byteCount: pending)
            }
            start = 0
            end = pending
        }
        let target = UnsafeMutableRawBufferPointer(rebasing: buffer[end..<min(end + readSize, buffer.count)])
        let count = try source(target)
        precondition(count >= 0 && count <= target.count, "a byte source returned an impossible count")
        if count == 0 { atEOF = true }
        end += count
    }
}
