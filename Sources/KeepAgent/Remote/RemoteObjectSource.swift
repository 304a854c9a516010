import Foundation
import KeepCore
import KeepCrypto
import KeepProtocol
import KeepStore

/// Reads a snapshot's objects from the controller during a restore or rollback: one
/// FetchObjectsRequest per object, answered by one CHUNK frame, checked against its id here
/// (the agent trusts no byte it has not hashed). Fetches are served one at a time, in call order.
actor RemoteObjectSource: ObjectSource {
    private let channel: CommandChannel
    private var last: Task<Void, Never>?
    /// Objects received, for progress.
    private(set) var bytesReceived: UInt64 = 0

    init(channel: CommandChannel) {
        self.channel = channel
    }

    func tree(_ id: ChunkID) async throws -> Tree {
        let bytes = try await fetch(id)
        do {
            return try Tree.decode(bytes)
        } catch {
            throw KeepError(.integrity, "tree \(id.hex.prefix(12)) from the controller is malformed: \(error)")
        }
    }

    func data(_ id: ChunkID) async throws -> [UInt8] {
        try await fetch(id)
    }

    /// Queues the fetch behind the previous one, so requests and answers pair up in order.
    private func fetch(_ id: ChunkID) async throws -> [UInt8] {
        let previous = last
        let task = Task { () async throws -> [UInt8] in
            await previous?.value
            return try await self.fetchNow(id)
        }
        last = Task { _ = try? await task.value }
        return try await task.value
    }

    private func fetchNow(_ id: ChunkID) async throws -> [UInt8] {
        try await channel.send(.fetchObjectsRequest(.with { $0.ids = [Data(id.bytes)] }))
        guard case .chunk(let chunk) = try await channel.next() else {
            throw KeepError(.protocolViolation, "the controller answered a fetch with something else than an object")
        }
        let payload = Array(chunk.payload.readableBytesView)
        let plaintext =
            chunk.compression == .zstd
            ? try Zstd.decompress(payload, plaintextLength: Int(chunk.plaintextLength)) : payload
        guard chunk.id == id, SHA256.hash(plaintext) == id else {
            throw KeepError(
                .integrity, "object \(id.hex.prefix(12)) from the controller does not match its id",
                hint: "run keepctl verify --read-data on the controller")
        }
        bytesReceived += UInt64(plaintext.count)
        return plaintext
    }
}
