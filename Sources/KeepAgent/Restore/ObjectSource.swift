import KeepCore
import KeepStore

/// Where a restore or a rollback reads a snapshot's objects from.
///
/// The agent implements it over its controller session; tests implement it over a dictionary.
/// Implementations verify each object against its id before returning it (an object whose SHA-256
/// is not its id must throw), so the restore code trusts content but still checks each data
/// chunk's length against the `ChunkRef` that named it.
public protocol ObjectSource: Sendable {
    /// The decoded tree object with this id.
    func tree(_ id: ChunkID) async throws -> Tree
    /// The plaintext of the data chunk with this id.
    func data(_ id: ChunkID) async throws -> [UInt8]
}
