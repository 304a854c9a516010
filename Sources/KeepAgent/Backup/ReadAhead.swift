import Dispatch
import Glibc
import KeepStore

/// Asks the kernel to start reading the files the archiver will read next, so that the disk serves
/// several files at once while the archiver chunks and hashes the current one.
///
/// The archiver reads one file at a time, in walk order. On a cold page cache that leaves the disk with
/// one request in flight, and a tree of small files is read at the disk's latency rather than its
/// throughput (1 GiB / 30,000 files here: 4.2 s read in order, 2.3 s with hints kept 32 MiB ahead,
/// 1.9 s with 8 parallel readers). The hints run on a background queue (`open` + `posix_fadvise
/// (WILLNEED)`, which queues the reads and returns), so the page allocation they cost is off the
/// archiver's thread too.
///
/// Files are offered a directory at a time, when the walker lists it; the newest directory is the one
/// being walked, so its files are hinted first (depth-first, like the walk). At most `windowBytes` /
/// `windowFiles` are hinted and not yet read, so hinted data is still cached when the archiver gets
/// there. A hint opens the file as the archiver does (relative to its directory, `O_NOFOLLOW |
/// O_NONBLOCK`) and only advises when it is still the regular file the walk saw.
final class ReadAhead {
    struct File: Sendable {
        var name: [CChar]
        var inode: UInt64
        var device: UInt64
        var length: UInt64
        var key: Key { Key(inode: inode, device: device) }
    }

    struct Key: Hashable {
        var inode: UInt64
        var device: UInt64
    }

    /// A duplicate of the walker's directory descriptor, closed once no hint needs it.
    private final class Directory: Sendable {
        let descriptor: Int32
        init(descriptor: Int32) { self.descriptor = descriptor }
        deinit { close(descriptor) }
    }

    private struct Batch {
        var directory: Directory
        var files: [File]
        var next = 0
    }

    private enum State {
        case waiting
        case hinted(bytes: UInt64)
    }

    /// Starts reading a file: given the file, its directory's descriptor and how many bytes to read.
    typealias Advise = @Sendable (File, Int32, UInt64) -> Void

    private let windowBytes: UInt64
    private let windowFiles: Int
    private let advise: Advise
    private let queue = DispatchQueue(label: "keep.read-ahead", qos: .utility)
    private var batches: [Batch] = []
    private var offered: [Key: State] = [:]
    private var hintedBytes: UInt64 = 0
    private var hintedFiles = 0

    init(
        windowBytes: UInt64 = 32 << 20, windowFiles: Int = 256,
        advise: @escaping Advise = { _ = ReadAhead.willNeed($0, directory: $1, bytes: $2) }
    ) {
        self.windowBytes = windowBytes
        self.windowFiles = windowFiles
        self.advise = advise
    }

    /// Offers the files of a directory the walker just listed (`descriptor` is the walker's, valid only
    /// during the call: it is duplicated). Pass only files the archiver will read.
    func enter(directory descriptor: Int32, files: [File]) {
        guard !files.isEmpty else { return }
        let duplicate = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0 else { return }
        for file in files { offered[file.key] = .waiting }
        batches.append(Batch(directory: Directory(descriptor: duplicate), files: files))
        refill()
    }

    /// The archiver is done with a file (read, failed or skipped): its hint no longer counts against
    /// the window, and a file not yet hinted never will be.
    func consumed(inode: UInt64, device: UInt64) {
        guard let state = offered.removeValue(forKey: Key(inode: inode, device: device)) else { return }
        if case .hinted(let bytes) = state {
            hintedBytes -= bytes
            hintedFiles -= 1
        }
        refill()
    }

    private func refill() {
        while hintedBytes < windowBytes, hintedFiles < windowFiles, let (directory, file) = nextFile() {
            let bytes = min(file.length, windowBytes)
            offered[file.key] = .hinted(bytes: bytes)
            hintedBytes += bytes
            hintedFiles += 1
            queue.async { [advise] in advise(file, directory.descriptor, bytes) }
        }
    }

    /// The next offered file not yet consumed, deepest directory first.
    private func nextFile() -> (Directory, File)? {
        while var batch = batches.popLast() {
            while batch.next < batch.files.count {
                let file = batch.files[batch.next]
                batch.next += 1
                guard case .waiting = offered[file.key] else { continue }
                if batch.next < batch.files.count { batches.append(batch) }
                return (batch.directory, file)
            }
        }
        return nil
    }

    /// Waits until every hint handed out so far has run.
    func waitForHints() {
        queue.sync {}
    }

    /// Opens the file as the archiver will and asks the kernel to read its first `bytes` now, if it is
    /// still the regular file the walk saw; returns whether it did.
    @discardableResult
    static func willNeed(_ file: File, directory: Int32, bytes: UInt64) -> Bool {
        let flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK
        var descriptor = openat(directory, file.name, flags | WalkedItem.noAccessTime)
        if descriptor < 0, errno == EPERM { descriptor = openat(directory, file.name, flags) }
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & FileMode.typeMask == FileMode.regular,
            UInt64(status.st_ino) == file.inode, UInt64(status.st_dev) == file.device
        else { return false }
        return posix_fadvise(descriptor, 0, off_t(bytes), POSIX_FADV_WILLNEED) == 0
    }
}
