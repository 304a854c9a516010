import Foundation
import Glibc
import KeepCore

/// A prepared rollback: which staged files go where, persisted as JSON (`manifest.json`) in every
/// staging directory so that `RollbackStager.commit(_:)` can resume after a crash.
public struct StagedRollback: Codable, Sendable, Hashable {
    /// The manifest's file name inside each staging directory.
    public static let manifestName = "manifest.json"

    /// One step of a commit.
    struct Action: Codable, Sendable, Hashable {
        enum Kind: String, Codable, Sendable {
            case add, replace, remove, metadata, typeChange, directoryMetadata
        }

        var kind: Kind
        /// Absolute live path (below the host root) as raw bytes.
        var path: Data
        /// The staged item's name in the staging directory (add, replace, typeChange).
        var staged: String?
        /// What to apply (metadata, directoryMetadata).
        var metadata: EntryMetadata?
    }

    /// The actions for one snapshot path and its staging directory (a sibling of that path).
    struct Scope: Codable, Sendable, Hashable {
        var path: Data
        var stagingName: String
        var actions: [Action]
    }

    /// Manifest format version.
    public var version = 1
    /// The job this rollback belongs to (part of the staging directory names).
    public var jobID: String
    /// Where the snapshot's `/` is on this host (`/` in production).
    public var hostRoot: String
    /// The snapshot being rolled back to.
    public var snapshot: ChunkID
    var scopes: [Scope]

    /// The staging directories, as absolute paths on this host.
    public var stagingDirectories: [String] {
        scopes.map { scope in
            let parent = pathComponents(Array(scope.path)).dropLast()
            let root = hostRoot.hasSuffix("/") ? String(hostRoot.dropLast()) : hostRoot
            let parentPath = parent.map { "/" + String(decoding: $0, as: UTF8.self) }.joined()
            return root + parentPath + "/" + scope.stagingName
        }
    }

    /// How many live paths a commit will touch (directory metadata included).
    public var actionCount: Int { scopes.reduce(0) { $0 + $1.actions.count } }

    /// Reads the manifest a `prepare` left in a staging directory (after a crash or restart).
    public static func load(stagingDirectory: String) throws -> StagedRollback {
        let path = stagingDirectory + "/" + manifestName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeepError(
                .notFound, "no rollback manifest", context: path,
                hint: "the rollback was never prepared or was already committed or aborted")
        }
        do {
            return try JSONDecoder().decode(StagedRollback.self, from: data)
        } catch {
            throw KeepError(
                .integrity, "unreadable rollback manifest: \(error)", context: path,
                hint: "abort the rollback by removing the staging directory")
        }
    }
}
