import Foundation
import KeepCore
import KeepCrypto
import KeepProtocol
import KeepStore

/// Reads a snapshot's objects from the controller during a restore or rollback, checking each against
/// its id here (the agent trusts no byte it has not hashed).
///
/// Without `prepare(root:)` every object is fetched when asked for: one FetchObjectsRequest, one CHUNK
/// frame. After `prepare(root:)` (a whole-snapshot restore) the source has fetched every tree of the
/// snapshot in batches and knows the order in which the restorer will ask for data chunks (the same
/// depth-first, name-ordered walk), so it keeps requests of up to 256 objects in flight ahead of the
/// restorer, bounded by `windowBytes` of plaintext received or in flight. An object asked for out of
/// that order is fetched on demand; planned objects the restorer skipped are dropped once a later one
/// is asked for. The controller answers each request with one CHUNK frame per id, in order.
actor RemoteObjectSource: ObjectSource {
    /// The most ids one FetchObjectsRequest may carry.
    private static let fetchBatch = 256
    /// Objects requested ahead at most (many small files would otherwise fill the window with thousands).
    private static let maxInFlight = 1024
    private let channel: CommandChannel
    private let windowBytes: Int
    private var last: Task<Void, Never>?
    /// Objects received, for progress.
    private(set) var bytesReceived: UInt64 = 0

    private var trees: [ChunkID: Tree] = [:]
    /// The data chunks the restorer will ask for, in order, and the next one to request.
    private var plan: [ChunkRef] = []
    private var planned = 0
    /// Requested ahead and not yet received, in the order the answers arrive.
    private var inFlight: [ChunkID] = []
    private var inFlightHead = 0
    /// Received ahead of the restorer, in plan order.
    private var ready: [(id: ChunkID, bytes: [UInt8])] = []
    private var readyHead = 0
    private var windowUsed = 0

    init(channel: CommandChannel, windowBytes: Int = 16 << 20) {
        self.channel = channel
        self.windowBytes = windowBytes
    }

    /// Fetches every tree below `root` (breadth-first, up to 256 per request) and plans the data
    /// chunks of a whole-snapshot restore.
    func prepare(root: ChunkID) async throws {
        var level = [root]
        while !level.isEmpty {
            var next: [ChunkID] = []
            for start in stride(from: 0, to: level.count, by: Self.fetchBatch) {
                let ids = Array(level[start..<min(level.count, start + Self.fetchBatch)])
                try await channel.send(.fetchObjectsRequest(.with { $0.ids = ids.map { Data($0.bytes) } }))
                for id in ids {
                    let tree = try decodeTree(try await receive(id), id: id)
                    trees[id] = tree
                    for entry in tree.entries {
                        if let subtree = entry.subtree, trees[subtree] == nil { next.append(subtree) }
                    }
                }
            }
            level = Array(Set(next))
        }
        appendPlan(of: root)
    }

    func tree(_ id: ChunkID) async throws -> Tree {
        if let tree = trees[id] { return tree }
        return try decodeTree(try await serialized(id), id: id)
    }

    func data(_ id: ChunkID) async throws -> [UInt8] {
        try await serialized(id)
    }

    /// Runs fetches one at a time, in call order, so requests and answers pair up.
    private func serialized(_ id: ChunkID) async throws -> [UInt8] {
        let previous = last
        let task = Task { () async throws -> [UInt8] in
            await previous?.value
            return try await self.object(id)
        }
        last = Task { _ = try? await task.value }
        return try await task.value
    }

    private func decodeTree(_ bytes: [UInt8], id: ChunkID) throws -> Tree {
        do {
            return try Tree.decode(bytes)
        } catch {
            throw KeepError(.integrity, "tree \(id.hex.prefix(12)) from the controller is malformed: \(error)")
        }
    }

    /// The depth-first, name-ordered walk of the restorer: a file's chunks where the file is, a
    /// directory's contents where the directory is.
    private func appendPlan(of treeID: ChunkID) {
        guard let tree = trees[treeID] else { return }
        for entry in tree.entries {
            if let subtree = entry.subtree {
                appendPlan(of: subtree)
            } else {
                for extent in entry.content { plan.append(contentsOf: extent.chunks) }
            }
        }
    }

    /// One object, from the read-ahead window when it holds it, else on demand.
    private func object(_ id: ChunkID) async throws -> [UInt8] {
        try await requestAhead()
        while true {
            // The restorer almost always asks for the next planned object: look there first.
            let next = readyHead < ready.count && ready[readyHead].id == id ? readyHead : nil
            if let index = next ?? ready[readyHead...].firstIndex(where: { $0.id == id }) {
                for skipped in readyHead..<index {
                    windowUsed -= ready[skipped].bytes.count
                    ready[skipped].bytes = []
                }
                let found = ready[index]
                ready[index].bytes = []
                readyHead = index + 1
                windowUsed -= found.bytes.count
                if readyHead > 1024 {
                    ready.removeFirst(readyHead)
                    readyHead = 0
                }
                try await requestAhead()
                return found.bytes
            }
            guard inFlightHead < inFlight.count, inFlight[inFlightHead] == id || inFlight[inFlightHead...].contains(id)
            else { break }
            try await receiveAhead()
        }
        // Not planned (or planned too far ahead): ask for it alone; earlier answers land in the window.
        try await channel.send(.fetchObjectsRequest(.with { $0.ids = [Data(id.bytes)] }))
        while inFlightHead < inFlight.count { try await receiveAhead() }
        return try await receive(id)
    }

    /// Requests planned objects while the window has room, up to 256 per request.
    private func requestAhead() async throws {
        while planned < plan.count, windowUsed < windowBytes, inFlight.count - inFlightHead < Self.maxInFlight {
            var ids: [ChunkID] = []
            while planned < plan.count, ids.count < Self.fetchBatch, windowUsed < windowBytes {
                ids.append(plan[planned].id)
                windowUsed += Int(plan[planned].length)
                planned += 1
            }
            try await channel.send(.fetchObjectsRequest(.with { $0.ids = ids.map { Data($0.bytes) } }))
            if inFlightHead > 4096 {
                inFlight.removeFirst(inFlightHead)
                inFlightHead = 0
            }
            inFlight.append(contentsOf: ids)
        }
    }

    /// Receives the oldest in-flight object into the window.
    private func receiveAhead() async throws {
        let id = inFlight[inFlightHead]
        inFlightHead += 1
        let bytes = try await receive(id)
        ready.append((id, bytes))
    }

    /// Receives the next CHUNK frame, which must be `id`, and checks it.
    private func receive(_ id: ChunkID) async throws -> [UInt8] {
        guard case .chunk(let chunk) = try await channel.next() else {
            throw KeepError(.protocolViolation, "the controller answered a fetch with something else than an object")
        }
        let plaintext: [UInt8] =
            try chunk.payload.withUnsafeReadableBytes { payload in
                chunk.compression == .zstd
                    ? try Zstd.decompress(payload, plaintextLength: Int(chunk.plaintextLength)) : [UInt8](payload)
            }
        guard chunk.id == id, SHA256.hash(plaintext) == id else {
            throw KeepError(
                .integrity, "object \(id.hex.prefix(12)) from the controller does not match its id",
                hint: "run keepctl verify --read-data on the controller")
        }
        bytesReceived += UInt64(plaintext.count)
        return plaintext
    }
}
