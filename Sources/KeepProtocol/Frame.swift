import NIOCore

/// One unit on the wire: a control message or a bulk object.
public enum Frame: Sendable, Hashable {
    /// Kind 0x01: a protobuf `keep.v1.Envelope`.
    case control(Keep_V1_Envelope)
    /// Kind 0x02: an object's bytes behind a fixed binary header, never re-encoded.
    case chunk(ChunkFrame)

    /// A control frame carrying `body`, for the request (or response to the request) `requestID`.
    public static func control(requestID: UInt64 = 0, _ body: Keep_V1_Envelope.OneOf_Body) -> Frame {
        var envelope = Keep_V1_Envelope()
        envelope.requestID = requestID
        envelope.body = body
        return .control(envelope)
    }

    /// The short name of the frame's message, for logs and errors (`hello`, `chunk`, ...).
    public var messageName: String {
        switch self {
        case .control(let envelope): envelope.body?.messageName ?? "empty envelope"
        case .chunk: "chunk"
        }
    }
}

/// The kind byte that follows the length field.
public enum FrameKind: UInt8, Sendable {
    case control = 0x01
    case chunk = 0x02
}

extension Keep_V1_Envelope.OneOf_Body {
    /// The message's field name in `keep.proto`, e.g. `hello` or `have_chunks_request`.
    public var messageName: String {
        switch self {
        case .hello: "hello"
        case .welcome: "welcome"
        case .heartbeat: "heartbeat"
        case .error: "error"
        case .goodbye: "goodbye"
        case .listAgentsRequest: "list_agents_request"
        case .listAgentsResponse: "list_agents_response"
        case .startBackupRequest: "start_backup_request"
        case .jobEvent: "job_event"
        case .jobResult: "job_result"
        case .backupCommand: "backup_command"
        case .haveChunksRequest: "have_chunks_request"
        case .haveChunksResponse: "have_chunks_response"
        case .backupProgress: "backup_progress"
        case .backupComplete: "backup_complete"
        case .backupCommitted: "backup_committed"
        case .backupFailed: "backup_failed"
        case .listSetsRequest: "list_sets_request"
        case .listSetsResponse: "list_sets_response"
        case .listSnapshotsRequest: "list_snapshots_request"
        case .listSnapshotsResponse: "list_snapshots_response"
        case .listTreeRequest: "list_tree_request"
        case .listTreeResponse: "list_tree_response"
        case .inventoryRequest: "inventory_request"
        case .inventoryResponse: "inventory_response"
        case .verifyRequest: "verify_request"
        case .verifyResponse: "verify_response"
        case .restoreRequest: "restore_request"
        case .restoreCommand: "restore_command"
        case .fetchObjectsRequest: "fetch_objects_request"
        case .restoreComplete: "restore_complete"
        case .restoreResult: "restore_result"
        case .rollbackRequest: "rollback_request"
        case .rollbackCommand: "rollback_command"
        case .rollbackStatus: "rollback_status"
        case .rollbackResult: "rollback_result"
        case .diffRequest: "diff_request"
        case .diffResponse: "diff_response"
        case .pruneRequest: "prune_request"
        case .pruneResponse: "prune_response"
        case .listJobsRequest: "list_jobs_request"
        case .listJobsResponse: "list_jobs_response"
        case .jobDetailRequest: "job_detail_request"
        case .jobDetailResponse: "job_detail_response"
        }
    }
}
