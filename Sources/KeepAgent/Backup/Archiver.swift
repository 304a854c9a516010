import Foundation
import KeepCore
import KeepProtocol
import KeepStore

/// Turns a walk into stored objects: chunks file contents (skipping files unchanged since the parent
/// snapshot), uploads them and the directory trees, bottom-up.
struct Archiver: FileSystemVisitor {
    let uploader: Uploader
    let previous: ChangeCache
    let chunking: ChunkerParameters
    var next = ChangeCache()
    var stats = Keep_V1_BackupStats()
    var pathErrors: [PathError] = []
    var progress: (Keep_V1_BackupStats, String) async -> Void
    /// Progress goes out at most once a second; the path's display form (a String repair of its bytes)
    /// is built only then: building it per file took a third of an unchanged backup's CPU.
    var nextProgress = ContinuousClock.now

    mutating func visit(file item: WalkedItem) async throws -> TreeEntry? {
        var entry = item.entry
        count(entry)
        guard item.needsContent else { return entry }
        let key = Data(item.path)
        if let record = previous.files[key], record.matches(entry), let content = record.content {
            entry.content = content
            uploader.assumePresent(content.flatMap { $0.chunks.map(\.id) })
        } else {
            do {
                let file = try item.open()
                entry.content = try await store(file)
                stats.bytesRead += entry.content.reduce(0) { $0 + $1.length }
            } catch let error as PathError {
                await report(error)
                return nil
            }
        }
        next.files[key] = ChangeCache.Record(entry)
        let now = ContinuousClock.now
        if now >= nextProgress {
            nextProgress = now + .seconds(1)
            await progress(stats, item.displayPath)
        }
        return entry
    }

    mutating func leave(directory item: WalkedItem, children: [TreeEntry]) async throws -> TreeEntry? {
        var entry = item.entry
        stats.directories += 1
        entry.subtree = try await uploader.add(try Tree(entries: children).encode(), type: .tree)
        return entry
    }

    mutating func report(_ error: PathError) async {
        pathErrors.append(error)
    }

    private mutating func count(_ entry: TreeEntry) {
        switch entry.kind {
        case .file:
            stats.files += 1
            stats.bytesTotal += entry.size
        case .symlink: stats.symlinks += 1
        case .directory: break
        default: stats.others += 1
        }
    }

    /// Chunks each data range of a file (holes of sparse files are skipped, not stored).
    private func store(_ file: OpenFile) async throws -> [Extent] {
        var extents: [Extent] = []
        for range in file.dataRanges {
            var chunks: [ChunkRef] = []
            var chunker = Chunker(parameters: chunking)
            var buffer: [UInt8] = []
            var offset = range.offset
            let end = range.offset + range.length
            // Reads of 2 MiB keep the window (unchunked tail + one read) near 6 MiB; the agent's memory
            // budget goes to the upload batches instead.
            let readSize = 2 << 20
            while true {
                let atEOF = offset >= end
                if !atEOF {
                    let count = Int(min(UInt64(readSize), end - offset))
                    let bytes = try file.read(at: offset, count: count)
                    offset += UInt64(bytes.count)
                    buffer.append(contentsOf: bytes)
                    if bytes.count < count { offset = end }
                }
                var start = 0
                while start < buffer.count {
                    let boundary = buffer.withUnsafeBytes { raw in
                        chunker.nextBoundary(in: UnsafeRawBufferPointer(rebasing: raw[start...]), atEOF: offset >= end)
                    }
                    guard let boundary else { break }
                    let chunk = Array(buffer[start..<start + boundary])
                    let id = try await uploader.add(chunk, type: .data)
                    chunks.append(ChunkRef(id: id, length: UInt32(chunk.count)))
                    start += boundary
                }
                buffer.removeFirst(start)
                if offset >= end && buffer.isEmpty { break }
            }
            extents.append(Extent(offset: range.offset, chunks: chunks))
        }
        return extents
    }
}
