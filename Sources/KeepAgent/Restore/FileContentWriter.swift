import Glibc
import KeepCore
import KeepStore

/// Writes a regular file's extents into an open descriptor, fetching up to `concurrency` chunks at
/// once and writing each at its own offset (`pwrite`), so at most `concurrency` chunks are in memory
/// whatever the file size. The caller has already `ftruncate`d the file to its size: holes between
/// extents are never written and stay holes.
struct FileContentWriter {
    let source: any ObjectSource
    let concurrency: Int

    /// Returns the number of bytes written. Throws `RestoreError.chunkLengthMismatch`, an `Errno`
    /// from `pwrite`, or whatever the source throws.
    func write(_ extents: [Extent], to descriptor: Int32, path: String) async throws -> UInt64 {
        var pieces: [(offset: UInt64, chunk: ChunkRef)] = []
        pieces.reserveCapacity(extents.reduce(0) { $0 + $1.chunks.count })
        for extent in extents {
            var offset = extent.offset
            for chunk in extent.chunks {
                pieces.append((offset, chunk))
                offset += UInt64(chunk.length)
            }
        }
        let source = self.source
        return try await withThrowingTaskGroup(of: UInt64.self) { group in
            var written: UInt64 = 0
            var inFlight = 0
            for piece in pieces {
                if inFlight >= max(1, concurrency) {
                    if let count = try await group.next() { written += count }
                    inFlight -= 1
                }
                group.addTask {
                    try await Self.fetchAndWrite(
                        piece.chunk, at: piece.offset, source: source, into: descriptor, path: path)
                }
                inFlight += 1
            }
            while let count = try await group.next() { written += count }
            return written
        }
    }

    private static func fetchAndWrite(
        _ chunk: ChunkRef, at offset: UInt64, source: any ObjectSource, into descriptor: Int32, path: String
    ) async throws -> UInt64 {
        let bytes = try await source.data(chunk.id)
        guard bytes.count == Int(chunk.length) else {
            throw RestoreError.chunkLengthMismatch(path: path, expected: chunk.length, received: bytes.count)
        }
        var done = 0
        while done < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                pwrite(descriptor, raw.baseAddress.map { $0 + done }, bytes.count - done, off_t(offset) + off_t(done))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw Errno(errno)
            }
            done += result
        }
        return UInt64(bytes.count)
    }
}
