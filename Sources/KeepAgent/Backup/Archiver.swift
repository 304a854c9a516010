import Foundation
import KeepCore
import KeepProtocol
import KeepStore

/// Turns a walk into stored objects: chunks file contents (skipping files unchanged since the parent
/// snapshot), uploads them and the directory trees, bottom-up.
struct Archiver: FileSystemVisitor {
    let uploader: Uploader
    /// The last snapshot's change cache; a record is taken out once its file is visited, so the memory
    /// of the old cache goes as the new one fills (both at once had pushed the agent past 100 MiB).
    var previous: ChangeCache
    let chunking: ChunkerParameters
    var next = ChangeCache()
    var stats = Keep_V1_BackupStats()
    var pathErrors: [PathError] = []
    var progress: (Keep_V1_BackupStats, String) async -> Void
    /// Progress goes out at most once a second; the path's display form (a String repair of its bytes)
    /// is built only then: building it per file took a third of an unchanged backup's CPU.
    var nextProgress = ContinuousClock.now
    let readAhead = ReadAhead()
    /// Where file data is read and chunked: reused for every file, so reading costs no allocation.
    let window: ReadWindow

    init(
        uploader: Uploader, previous: ChangeCache, chunking: ChunkerParameters,
        progress: @escaping (Keep_V1_BackupStats, String) async -> Void
    ) {
        self.uploader = uploader
        self.previous = previous
        self.chunking = chunking
        self.progress = progress
        window = ReadWindow(capacity: chunking.maximumSize + Self.readSize)
    }

    /// The window holds the largest chunk and 2 MiB more (6 MiB): each read fills what the chunks taken
    /// from it freed. The agent's memory budget goes to the upload batches instead.
    static let readSize = 2 << 20

    mutating func willVisit(_ items: [WalkedItem]) async {
        let files = items.filter { item in
            guard item.needsContent else { return false }
            return previous.files[Data(item.path)]?.matches(item.entry) != true
        }
        guard let first = files.first else { return }
        readAhead.enter(
            directory: first.parentDescriptor,
            files: files.map { item in
                ReadAhead.File(
                    name: DirectoryOps.cString(item.openName), inode: item.entry.inode,
                    device: item.entry.device, length: item.entry.size)
            })
    }

    mutating func visit(file item: WalkedItem) async throws -> TreeEntry? {
        var entry = item.entry
        count(entry)
        guard item.needsContent else { return entry }
        defer { readAhead.consumed(inode: entry.inode, device: entry.device) }
        let key = Data(item.path)
        if let record = previous.files.removeValue(forKey: key), record.matches(entry), let content = record.content {
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
        let window = self.window
        for range in file.dataRanges {
            var chunks: [ChunkRef] = []
            var chunker = Chunker(parameters: chunking)
            var offset = range.offset
            let end = range.offset + range.length
            window.count = 0
            while true {
                if offset < end {
                    let wanted = Int(min(UInt64(window.capacity - window.count), end - offset))
                    let read = try file.read(at: offset, into: window.free(wanted))
                    offset += UInt64(read)
                    window.count += read
                    if read < wanted { offset = end }
                }
                var start = 0
                while start < window.count {
                    let rest = window.bytes(from: start)
                    guard let boundary = chunker.nextBoundary(in: rest, atEOF: offset >= end) else { break }
                    let id = try await uploader.add(UnsafeRawBufferPointer(rebasing: rest[..<boundary]), type: .data)
                    chunks.append(ChunkRef(id: id, length: UInt32(boundary)))
                    start += boundary
                }
                window.removeFirst(start)
                if offset >= end && window.count == 0 { break }
            }
            extents.append(Extent(offset: range.offset, chunks: chunks))
        }
        return extents
    }
}

/// A fixed buffer holding the unchunked tail of a file and the next read. The chunker needs its input
/// to start at the current chunk, so consumed chunks are removed from the front (a move of the tail,
/// less than one chunk).
final class ReadWindow {
    let capacity: Int
    private let storage: UnsafeMutableRawBufferPointer
    /// Bytes held, from the start.
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { storage.deallocate() }

    /// The held bytes from `start` (valid until the window changes).
    func bytes(from start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[start..<count])
    }

    /// Room for `length` more bytes after those held.
    func free(_ length: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: storage[count..<count + length])
    }

    func removeFirst(_ length: Int) {
        guard length > 0, let base = storage.baseAddress else { return }
        count -= length
        if count > 0 { base.copyMemory(from: base + length, byteCount: count) }
    }
}
