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
/// `batchBytes` bytes, one HaveChunksRequest asks which the controller (for this pool) already has, and
/// the missing ones are compressed and sent as CHUNK frames. Memory stays bounded by the batch size.
/// Objects already known present or sent during this run are never queued twice.
final class Uploader {
    private let channel: CommandChannel
    private var queue: [(id: ChunkID, type: KeepProtocol.ObjectType, plaintext: [UInt8])] = []
    private var queuedBytes = 0
    private var known = Set<ChunkID>()
    private let batchObjects = 256
    private let batchBytes = 16 << 20

    /// Counters for the snapshot's stats.
    private(set) var bytesSent: UInt64 = 0
    private(set) var objectsSent: UInt64 = 0

    init(channel: CommandChannel) {
        self.channel = channel
    }

    /// Queues an object for upload (unless it is already known to be stored) and returns its id.
    @discardableResult
    func add(_ plaintext: [UInt8], type: KeepProtocol.ObjectType) async throws -> ChunkID {
        let id = SHA256.hash(plaintext)
        guard known.insert(id).inserted else { return id }
        queue.append((id, type, plaintext))
        queuedBytes += plaintext.count
        if queue.count >= batchObjects || queuedBytes >= batchBytes { try await flush() }
        return id
    }

    /// Marks objects as present without asking (they are referenced by the parent snapshot, whose
    /// completeness the controller checked when it committed it).
    func assumePresent(_ ids: some Sequence<ChunkID>) {
        known.formUnion(ids)
    }

    /// Asks about the queued objects and sends the missing ones.
    func flush() async throws {
        guard !queue.isEmpty else { return }
        let batch = queue
        queue = []
        queuedBytes = 0
        try await channel.send(.haveChunksRequest(.with { $0.ids = batch.map { Data($0.id.bytes) } }))
        let bitmap = try await channel.nextAnswer { body -> Data? in
            if case .haveChunksResponse(let response) = body { return response.presentBitmap }
            return nil
        }
        guard bitmap.count == (batch.count + 7) / 8 else {
            throw KeepError(.protocolViolation, "the controller answered HaveChunks with a bitmap of the wrong size")
        }
        for (index, object) in batch.enumerated() {
            let present = bitmap[bitmap.startIndex + index / 8] & (1 << UInt8(index % 8)) != 0
            if present { continue }
            let packed = try Compression.default.apply(to: object.plaintext)
            var payload = ByteBufferAllocator().buffer(capacity: packed.bytes.count)
            payload.writeBytes(packed.bytes)
            try await channel.session.send(
                .chunk(
                    ChunkFrame(
                        id: object.id, type: object.type, compression: packed.compressed ? .zstd : .none,
                        plaintextLength: UInt32(object.plaintext.count), payload: payload)))
            bytesSent += UInt64(packed.bytes.count)
            objectsSent += 1
        }
    }
}
