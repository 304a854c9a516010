import Foundation
import KeepCore
import KeepCrypto
import KeepProtocol
import KeepStore
import KeepTransport
import NIOCore

/// Sends a backup's objects to the controller, and only those it does not have.
///
/// Objects are queued with their plaintext; when the queue holds `batchObjects` objects or
/// `batchBytes` bytes, one HaveChunksRequest asks which the controller (for this pool) already has.
/// The answer is awaited, and the missing objects compressed (on `compressionWorkers` tasks, one per
/// core) and sent as CHUNK frames, by a background task while the archiver fills the next batch: the
/// walk, chunking and hashing overlap with compression and sending. At most one batch is being sent
/// while one fills, so memory stays at about two batches. Objects already known present or sent
/// during this run are never queued twice.
final class Uploader {
    private let channel: CommandChannel
    private var queue: [PendingObject] = []
    private var queuedBytes = 0
    private var known = Set<ChunkID>()
    private let batchObjects = 256
    private let batchBytes = 4 << 20
    private let compressionWorkers = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
    /// The batch being answered and sent, if any.
    private var sending: Task<Counters, any Error>?

    /// Counters for the snapshot's stats (final once `flush()` returned).
    private(set) var bytesSent: UInt64 = 0
    private(set) var objectsSent: UInt64 = 0

    private struct PendingObject: Sendable {
        var id: ChunkID
        var type: KeepProtocol.ObjectType
        var plaintext: [UInt8]
    }

    private struct Counters: Sendable {
        var bytes: UInt64 = 0
        var objects: UInt64 = 0
    }

    init(channel: CommandChannel) {
        self.channel = channel
    }

    deinit { sending?.cancel() }

    /// Queues an object for upload (unless it is already known to be stored) and returns its id.
    @discardableResult
    func add(_ plaintext: [UInt8], type: KeepProtocol.ObjectType) async throws -> ChunkID {
        try await add(id: SHA256.hash(plaintext), type: type) { plaintext }
    }

    /// Queues an object given by bytes the caller reuses: they are copied only if the object is queued
    /// (a chunk already stored or already sent costs its hash and nothing else).
    @discardableResult
    func add(_ bytes: UnsafeRawBufferPointer, type: KeepProtocol.ObjectType) async throws -> ChunkID {
        try await add(id: SHA256.hash(bytes), type: type) { Array(bytes) }
    }

    private func add(id: ChunkID, type: KeepProtocol.ObjectType, plaintext: () -> [UInt8]) async throws -> ChunkID {
        guard known.insert(id).inserted else { return id }
        let plaintext = plaintext()
        queue.append(PendingObject(id: id, type: type, plaintext: plaintext))
        queuedBytes += plaintext.count
        if queue.count >= batchObjects || queuedBytes >= batchBytes { try await dispatch() }
        return id
    }

    /// Marks objects as present without asking (they are referenced by the parent snapshot, whose
    /// completeness the controller checked when it committed it).
    func assumePresent(_ ids: some Sequence<ChunkID>) {
        known.formUnion(ids)
    }

    /// Sends everything queued and waits until every object is on the wire.
    func flush() async throws {
        try await dispatch()
        try await finishSending()
    }

    /// Asks about the queued batch now; its answer is handled by a background task once the previous
    /// batch is sent (answers arrive in request order).
    private func dispatch() async throws {
        guard !queue.isEmpty else { return }
        let batch = queue
        queue = []
        queuedBytes = 0
        try await channel.send(.haveChunksRequest(.with { $0.ids = batch.map { Data($0.id.bytes) } }))
        try await finishSending()
        sending = Self.startSending(batch, channel: channel, workers: compressionWorkers)
    }

    private static func startSending(_ batch: [PendingObject], channel: CommandChannel, workers: Int)
        -> Task<Counters, any Error>
    {
        Task { try await answerAndSend(batch, channel: channel, workers: workers) }
    }

    private func finishSending() async throws {
        guard let task = sending else { return }
        sending = nil
        let counters = try await task.value
        bytesSent += counters.bytes
        objectsSent += counters.objects
    }

    /// Applies the store's compression policy, skipping zstd for a large chunk whose first 64 KiB do not
    /// compress (media, archives, encrypted files): compressing them whole costs time and is thrown away.
    private static func pack(_ plaintext: [UInt8]) throws -> (bytes: [UInt8], compressed: Bool) {
        let probeLength = 64 << 10
        if plaintext.count >= 4 * probeLength {
            let probe = try plaintext.withUnsafeBytes { raw in
                try Compression.default.apply(to: UnsafeRawBufferPointer(rebasing: raw[..<probeLength]))
            }
            if !probe.compressed {
                return (plaintext, false)
            }
        }
        let packed = try Compression.default.apply(to: plaintext)
        return (packed.bytes, packed.compressed)
    }

    /// Reads the controller's answer for `batch`, then compresses and sends the missing objects on
    /// `workers` concurrent tasks (CHUNK frames may arrive in any order).
    private static func answerAndSend(_ batch: [PendingObject], channel: CommandChannel, workers: Int) async throws
        -> Counters
    {
        let bitmap = try await channel.nextAnswer { body -> Data? in
            if case .haveChunksResponse(let response) = body { return response.presentBitmap }
            return nil
        }
        guard bitmap.count == (batch.count + 7) / 8 else {
            throw KeepError(.protocolViolation, "the controller answered HaveChunks with a bitmap of the wrong size")
        }
        let missing = batch.indices.filter { index in
            bitmap[bitmap.startIndex + index / 8] & (1 << UInt8(index % 8)) == 0
        }
        let session = channel.session
        return try await withThrowingTaskGroup(of: Counters.self) { group in
            for worker in 0..<min(workers, missing.count) {
                group.addTask {
                    var counters = Counters()
                    for position in stride(from: worker, to: missing.count, by: workers) {
                        let object = batch[missing[position]]
                        let packed = try Self.pack(object.plaintext)
                        var payload = ByteBufferAllocator().buffer(capacity: packed.bytes.count)
                        payload.writeBytes(packed.bytes)
                        try await session.send(
                            .chunk(
                                ChunkFrame(
                                    id: object.id, type: object.type, compression: packed.compressed ? .zstd : .none,
                                    plaintextLength: UInt32(object.plaintext.count), payload: payload)))
                        counters.bytes += UInt64(packed.bytes.count)
                        counters.objects += 1
                    }
                    return counters
                }
            }
            var total = Counters()
            for try await counters in group {
                total.bytes += counters.bytes
                total.objects += counters.objects
            }
            return total
        }
    }
}
