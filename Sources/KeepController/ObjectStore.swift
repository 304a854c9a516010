import Foundation
import KeepCatalog
import KeepCore
import KeepCrypto
import KeepProtocol
import KeepStore

/// Intake and read-back of objects (data chunks and trees) on the controller.
///
/// Every object is checked against its id on arrival, encrypted and appended to the open pack. A pack
/// is written durably to the backend *before* the catalog learns where its objects are, so the
/// catalog never points at data that is not on disk. `flush()` seals the open pack; the snapshot
/// commit calls it first, so a snapshot is complete only once all its objects are durable.
actor ObjectStore {
    private let catalog: any Catalog
    private let backend: any PackBackend
    private let key: SymmetricKey
    private var builder: PackBuilder
    /// Objects in the open pack, not yet in the catalog, with the pools that sent them.
    private var pending: [ChunkID: Set<String>] = [:]
    /// Objects of packs being written by a flush, with their pools, until the catalog records them.
    private var sealing: [ChunkID: Set<String>] = [:]
    /// The latest flush; each flush waits for the one before it.
    private var lastFlush: Task<Void, any Error>?
    /// Packs being written in the background, and the first failure among them (thrown by `flush()`).
    private var sealingPacks = 0
    private var sealFailure: (any Error)?
    private static let maxSealing = 2
    /// Buffers of written packs, reused by the next packs: a fresh 36 MiB buffer per pack cost a page
    /// fault per 4 KiB filled.
    private var spareBuffers: [[UInt8]] = []
    /// Objects a HaveChunks query found stored nowhere (in no pool): their upload skips the catalog
    /// lookup. Entries go when the object is appended or recorded; the set is capped.
    private var absent = Set<ChunkID>()
    private static let maxAbsent = 200_000

    init(catalog: any Catalog, backend: any PackBackend, key: SymmetricKey) {
        self.catalog = catalog
        self.backend = backend
        self.key = key
        self.builder = PackBuilder(key: key)
    }

    /// Checks and stores one object sent by an agent of `pool`. Returns the bytes it added to the
    /// store: 0 when the object was already there (global dedup).
    /// The check (decompress and hash) runs outside the actor, so hosts backing up at once verify their
    /// objects in parallel; only the pack append is serialised.
    nonisolated func ingest(_ chunk: ChunkFrame, pool: String) async throws -> UInt64 {
        let matches = try chunk.payload.withUnsafeReadableBytes { payload in
            switch chunk.compression {
            case .none:
                return payload.count == Int(chunk.plaintextLength) && SHA256.hash(payload) == chunk.id
            case .zstd:
                let plaintext = try Zstd.decompress(payload, plaintextLength: Int(chunk.plaintextLength))
                return plaintext.count == Int(chunk.plaintextLength) && SHA256.hash(plaintext) == chunk.id
            }
        }
        guard matches else {
            throw KeepError(
                .integrity, "object \(chunk.id.hex.prefix(12)) does not match its id; it was refused",
                context: "pool \(pool)", hint: "the agent's disk or memory may be faulty; run the backup again")
        }
        return try await append(chunk, pool: pool)
    }

    /// Appends a checked object to the open pack unless the store has it.
    private func append(_ chunk: ChunkFrame, pool: String) async throws -> UInt64 {
        if sealing[chunk.id]?.contains(pool) == true { return 0 }
        if pending[chunk.id] != nil {
            pending[chunk.id, default: []].insert(pool)
            return 0
        }
        let knownAbsent = absent.remove(chunk.id) != nil
        if !knownAbsent, try await catalog.location(of: chunk.id) != nil {
            try await catalog.addPoolReferences(pool: pool, ids: [chunk.id])
            return 0
        }
        let before = builder.size
        try chunk.payload.withUnsafeReadableBytes { payload in
            _ = try builder.add(
                id: chunk.id, type: chunk.type.storeType, payload: payload, compressed: chunk.compression == .zstd,
                plaintextLength: Int(chunk.plaintextLength))
        }
        pending[chunk.id] = [pool]
        let added = UInt64(builder.size - before)
        if builder.isFull { try await seal(wait: false) }
        return added
    }

    /// Which of `ids` an agent of `pool` may consider stored (its pool's objects only, including
    /// those still in the open pack).
    func existing(_ ids: [ChunkID], inPool pool: String) async throws -> Set<ChunkID> {
        var found = try await catalog.existing(ids, inPool: pool)
        for id in ids where pending[id]?.contains(pool) == true || sealing[id]?.contains(pool) == true {
            found.insert(id)
        }
        let unknown = ids.filter { !found.contains($0) && pending[$0] == nil && sealing[$0] == nil }
        if !unknown.isEmpty {
            let stored = try await catalog.locations(of: unknown)
            if absent.count > Self.maxAbsent { absent.removeAll() }
            for id in unknown where stored[id] == nil { absent.insert(id) }
        }
        return found
    }

    /// Seals the open pack: writes it durably, then records its objects in the catalog.
    ///
    /// Returns only once every earlier flush is recorded too: a snapshot commit that finds nothing
    /// pending must not check the catalog while another host's flush still writes objects it shares.
    /// A pack that failed to be written in the background makes this throw.
    func flush() async throws {
        try await seal(wait: true)
    }

    /// Starts writing the open pack. With `wait`, returns once it (and every earlier one) is recorded;
    /// without, returns at once unless more than `maxSealing` packs are still being written (intake
    /// goes on while a full pack is written and synced, and memory stays bounded).
    private func seal(wait: Bool) async throws {
        let previous = lastFlush
        if !pending.isEmpty {
            let sealed = try builder.finish()
            builder = PackBuilder(key: key, reusing: spareBuffers.popLast() ?? [])
            let references = pending
            pending = [:]
            for (id, pools) in references { sealing[id, default: []].formUnion(pools) }
            sealingPacks += 1
            let task = Task { [backend, catalog] in
                _ = try? await previous?.value
                do {
                    try await Self.record(sealed, references: references, backend: backend, catalog: catalog)
                    self.finishSealing(references, failure: nil, spare: sealed.bytes)
                } catch {
                    self.finishSealing(references, failure: error)
                    throw error
                }
            }
            lastFlush = task
            if wait {
                _ = try? await task.value
            } else if sealingPacks > Self.maxSealing {
                _ = try? await previous?.value
            }
        } else if wait {
            _ = try? await previous?.value
        }
        if wait, let failure = sealFailure {
            sealFailure = nil
            throw failure
        }
    }

    private func finishSealing(_ references: [ChunkID: Set<String>], failure: (any Error)?, spare: [UInt8] = []) {
        sealingPacks -= 1
        if spare.capacity > 0, spareBuffers.count < Self.maxSealing { spareBuffers.append(spare) }
        if let failure { sealFailure = failure }
        for (id, pools) in references {
            absent.remove(id)
            sealing[id]?.subtract(pools)
            if sealing[id]?.isEmpty == true { sealing[id] = nil }
        }
    }

    private static func record(
        _ sealed: SealedPack, references: [ChunkID: Set<String>], backend: any PackBackend, catalog: any Catalog
    ) async throws {
        try await backend.write(packID: sealed.packID, contents: sealed.bytes)
        ControllerMetrics.packsWritten.increment()
        let locations = sealed.entries.map { entry in
            ChunkLocation(
                id: entry.id, packID: sealed.packID, offset: entry.offset, length: entry.length,
                plaintextLength: entry.plaintextLength, type: entry.type.rawValue, compressed: entry.compressed)
        }
        try await catalog.recordPack(sealed.packID, size: UInt64(sealed.bytes.count), objects: locations, at: Clock.unixSeconds())
        var byPool: [String: [ChunkID]] = [:]
        for (id, pools) in references {
            for pool in pools { byPool[pool, default: []].append(id) }
        }
        for (pool, ids) in byPool { try await catalog.addPoolReferences(pool: pool, ids: ids) }
    }

    /// Whether a pack file is present in the backend.
    func packExists(_ packID: String) async -> Bool {
        (try? await backend.size(packID: packID)) != nil
    }

    /// Where those of `ids` that are stored are, in one catalog query.
    func locations(of ids: [ChunkID]) async throws -> [ChunkID: ChunkLocation] {
        try await catalog.locations(of: ids)
    }

    /// Where an object is stored, if it is.
    func location(of id: ChunkID) async throws -> ChunkLocation? {
        try await catalog.location(of: id)
    }

    /// Reads, decrypts, decompresses and verifies one object.
    func read(_ id: ChunkID) async throws -> [UInt8] {
        guard let location = try await catalog.location(of: id) else {
            throw KeepError(.notFound, "object \(id.hex.prefix(12)) is not in the store", hint: "run keepctl verify")
        }
        return try await read(location)
    }

    /// Reads and verifies the object at a known location.
    func read(_ location: ChunkLocation) async throws -> [UInt8] {
        let blob = try await backend.read(packID: location.packID, offset: location.offset, length: Int(location.length))
        let entry = PackEntry(
            id: location.id, type: ObjectType(rawValue: location.type) ?? .data, offset: location.offset,
            length: location.length, plaintextLength: location.plaintextLength, compressed: location.compressed)
        return try PackReader.object(entry, from: blob, packID: location.packID, key: key)
    }

    /// Reads and decrypts the objects at known locations, leaving each as stored (zstd frame when
    /// `compressed`): for a receiver that decompresses and checks the id itself. AES-GCM still
    /// authenticates the bytes (bound to the object's id) before they leave the store. Consecutive
    /// objects of one pack are read together.
    nonisolated func readStored(_ locations: [ChunkLocation]) async throws -> [[UInt8]] {
        var stored: [[UInt8]] = []
        stored.reserveCapacity(locations.count)
        var start = 0
        while start < locations.count {
            let packID = locations[start].packID
            var end = start + 1
            while end < locations.count, locations[end].packID == packID { end += 1 }
            let run = locations[start..<end]
            let blobs = try await backend.read(
                packID: packID, ranges: run.map { PackRange(offset: $0.offset, length: Int($0.length)) })
            for (location, blob) in zip(run, blobs) {
                do {
                    stored.append(try AESGCM.open(blob, using: key, authenticating: location.id.bytes))
                } catch {
                    throw PackError.corruptObject(
                        id: location.id, pack: location.packID, reason: "does not decrypt (damaged bytes or wrong key)")
                }
            }
            start = end
        }
        return stored
    }
}

extension KeepProtocol.ObjectType {
    var storeType: KeepStore.ObjectType { KeepStore.ObjectType(rawValue: rawValue) ?? .data }
}

// MARK: Maintenance (prune)

extension ObjectStore {
    /// Pack ids present in the backend.
    func storedPacks() async throws -> [String] {
        try await backend.list()
    }

    /// Copies the surviving objects of a pack into a new pack, made durable first; returns it (nil when
    /// nothing survives). The caller then points the catalog at it and deletes the old pack.
    func repack(_ survivors: [ChunkLocation]) async throws -> (id: String, size: UInt64, objects: [ChunkLocation])? {
        guard !survivors.isEmpty else { return nil }
        var rewritten = PackBuilder(key: key)
        for location in survivors {
            let plaintext = try await read(location)
            let payload = try Compression.default.apply(to: plaintext)
            _ = try rewritten.add(
                id: location.id, type: KeepStore.ObjectType(rawValue: location.type) ?? .data, payload: payload.bytes,
                compressed: payload.compressed, plaintextLength: plaintext.count)
        }
        let sealed = try rewritten.finish()
        try await backend.write(packID: sealed.packID, contents: sealed.bytes)
        let objects = sealed.entries.map { entry in
            ChunkLocation(
                id: entry.id, packID: sealed.packID, offset: entry.offset, length: entry.length,
                plaintextLength: entry.plaintextLength, type: entry.type.rawValue, compressed: entry.compressed)
        }
        return (sealed.packID, UInt64(sealed.bytes.count), objects)
    }

    /// Removes a pack file the catalog no longer points at.
    func deletePack(_ packID: String) async throws {
        try await backend.delete(packID: packID)
    }
}
