import Glibc
import KeepCrypto
import KeepStore

/// Chunks a live file exactly as a backup does (same chunker parameters, data ranges only, SHA-256 ids),
/// so identical content gives identical extents and can be compared with a snapshot's.
enum LiveFileHasher {
    /// The file's extents, or `nil` if it cannot be read.
    static func extents(parent: Int32, name: [UInt8], chunking: ChunkerParameters) -> [Extent]? {
        let flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY
        let descriptor = openat(parent, DirectoryOps.cString(name), flags)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & FileMode.typeMask == FileMode.regular else {
            return nil
        }
        let ranges = SparseMap.dataRanges(
            descriptor: descriptor, size: UInt64(max(0, status.st_size)), allocatedBlocks: Int64(status.st_blocks))
        var extents: [Extent] = []
        for range in ranges {
            var position = range.offset
            let end = range.offset + range.length
            let chunker = FileChunker(parameters: chunking) { target in
                let wanted = Int(min(UInt64(target.count), end - position))
                guard wanted > 0 else { return 0 }
                while true {
                    let count = pread(descriptor, target.baseAddress, wanted, off_t(position))
                    if count < 0, errno == EINTR { continue }
                    guard count >= 0 else { throw Errno(errno) }
                    position += UInt64(count)
                    return count
                }
            }
            var chunks: [ChunkRef] = []
            do {
                while let chunk = try chunker.withNextChunk({ ChunkRef(id: SHA256.hash($0), length: UInt32($0.count)) })
                {
                    chunks.append(chunk)
                }
            } catch {
                return nil
            }
            if !chunks.isEmpty { extents.append(Extent(offset: range.offset, chunks: chunks)) }
        }
        return extents
    }
}
