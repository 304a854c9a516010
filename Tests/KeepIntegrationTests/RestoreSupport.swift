import Foundation
import KeepCore
import KeepCrypto
import KeepProtocol
import KeepTestSupport
import KeepTransport
import NIOCore
import Testing

extension TestFleet {
    /// `keepctl restore … --json`, requiring `expectedStatus`.
    func restore(_ arguments: String..., expecting expectedStatus: Int32 = 0) async throws -> Keep_V1_RestoreResult {
        try await restore(arguments, expecting: expectedStatus)
    }

    /// `keepctl restore … --json`, requiring `expectedStatus`.
    func restore(_ arguments: [String], expecting expectedStatus: Int32 = 0) async throws -> Keep_V1_RestoreResult {
        let result = try await keepctl(["restore"] + arguments + ["--json"])
        try #require(result.status == expectedStatus, "\(result)")
        return try result.json(Keep_V1_RestoreResult.self)
    }

    /// A directory for restores inside the fleet's directory.
    func makeDirectory(_ relativePath: String) throws -> String {
        let path = root + "/" + relativePath
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Tree objects built byte by byte from `Protocol/TREE-FORMAT.md` and nothing else — no validation —
/// so a test can play an agent that uploads whatever a hostile or broken agent would.
enum RawTree {
    struct Entry {
        var kind: UInt8
        var name: [UInt8]
        var mode: UInt32 = 0o644
        var size: UInt64 = 0
        var symlinkTarget: [UInt8] = []
        var subtree: ChunkID?
        var chunks: [(id: ChunkID, length: UInt32)] = []

        static func file(_ name: String, chunk: [UInt8]) -> Entry {
            Entry(
                kind: 1, name: Array(name.utf8), size: UInt64(chunk.count),
                chunks: [(SHA256.hash(chunk), UInt32(chunk.count))])
        }

        static func directory(_ name: [UInt8], subtree: [UInt8]) -> Entry {
            Entry(kind: 2, name: name, mode: 0o755, subtree: SHA256.hash(subtree))
        }

        static func symlink(_ name: String, to target: String) -> Entry {
            Entry(
                kind: 3, name: Array(name.utf8), mode: 0o777, size: UInt64(target.utf8.count),
                symlinkTarget: Array(target.utf8))
        }
    }

    /// The object's bytes, entries in the order given (sorted or not).
    static func encode(_ entries: [Entry]) -> [UInt8] {
        var bytes = Array("KEEPTREE".utf8)
        append(UInt16(1), to: &bytes)
        append(UInt32(entries.count), to: &bytes)
        for entry in entries {
            bytes.append(entry.kind)
            append(UInt16(entry.name.count), to: &bytes)
            bytes += entry.name
            append(entry.mode, to: &bytes)
            append(UInt32(0), to: &bytes)  // uid
            append(UInt32(0), to: &bytes)  // gid
            append(UInt16(0), to: &bytes)  // user name
            append(UInt16(0), to: &bytes)  // group name
            append(UInt64(1_700_000_000), to: &bytes)  // mtime
            append(UInt32(0), to: &bytes)
            append(UInt64(1_700_000_000), to: &bytes)  // ctime
            append(UInt32(0), to: &bytes)
            append(UInt64(0), to: &bytes)  // inode
            append(UInt64(0), to: &bytes)  // device
            append(entry.size, to: &bytes)
            append(UInt64(0), to: &bytes)  // rdev
            append(UInt64(0), to: &bytes)  // hard-link group
            append(UInt16(entry.symlinkTarget.count), to: &bytes)
            bytes += entry.symlinkTarget
            append(UInt16(0), to: &bytes)  // xattrs
            if let subtree = entry.subtree {
                bytes.append(1)
                bytes += subtree.bytes
            } else {
                bytes.append(0)
            }
            append(UInt32(entry.chunks.isEmpty ? 0 : 1), to: &bytes)
            if !entry.chunks.isEmpty {
                append(UInt64(0), to: &bytes)
                append(UInt32(entry.chunks.count), to: &bytes)
                for chunk in entry.chunks {
                    bytes += chunk.id.bytes
                    append(chunk.length, to: &bytes)
                }
            }
        }
        return bytes
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }
}

/// A hand-made agent session: answers the controller's next BackupCommand by uploading exactly the
/// objects a test chose, then reports the backup complete with the root tree it chose.
struct FakeAgent {
    let session: ClientSession

    /// Connects as agent `host` of `pool` with the fleet's certificate for it.
    static func connect(_ fleet: TestFleet, host: String, pool: String) async throws -> FakeAgent {
        let identity = PeerIdentity(role: .agent, name: host, pool: pool)
        let tls = try TLSContext.client(
            certificateChain: fleet.pki.certificatePath(for: identity), privateKey: fleet.pki.keyPath(for: identity),
            trustedCA: fleet.certificateAuthorityPath, serverName: "127.0.0.1")
        let session = try await ClientSession.open(
            host: "127.0.0.1", port: fleet.port, tls: tls,
            configuration: .init(role: .agent, hostID: host, pool: pool, softwareVersion: "hostile test agent"))
        return FakeAgent(session: session)
    }

    /// Runs `keepctl backup --host <host> --json` and answers it with `objects` (trees, and data chunks)
    /// and `root`. Returns keepctl's result.
    func backUp(
        _ fleet: TestFleet, host: String, trees: [[UInt8]], chunks: [[UInt8]] = [], root: [UInt8]
    ) async throws -> CommandResult {
        let arguments = ["backup", "--host", host, "--json"]
        let backup = try fleet.startKeepctl(arguments)
        var command: (requestID: UInt64, body: Keep_V1_BackupCommand)?
        for await frame in session.incoming {
            if case .control(let envelope) = frame, case .backupCommand(let body) = envelope.body {
                command = (envelope.requestID, body)
                break
            }
        }
        let (requestID, body) = try #require(command, "no BackupCommand arrived")
        for (type, objects) in [(ObjectType.tree, trees), (.data, chunks)] {
            for object in objects {
                var payload = ByteBufferAllocator().buffer(capacity: object.count)
                payload.writeBytes(object)
                try await session.send(
                    .chunk(
                        ChunkFrame(
                            id: SHA256.hash(object), type: type, compression: .none,
                            plaintextLength: UInt32(object.count),
                            payload: payload)))
            }
        }
        try await session.send(
            .control(
                requestID: requestID,
                .backupComplete(
                    .with {
                        $0.jobID = body.jobID
                        $0.snapshotID = body.snapshotID
                        $0.rootTree = Data(SHA256.hash(root).bytes)
                        $0.stats = .with { $0.files = UInt64(chunks.count) }
                    })))
        // The controller's answer (BackupCommitted or Error) ends the command.
        for await frame in session.incoming {
            guard case .control(let envelope) = frame, envelope.requestID == requestID else { continue }
            if case .backupCommitted = envelope.body { break }
            if case .error = envelope.body { break }
        }
        return try await fleet.result(of: backup, arguments: arguments)
    }
}
