import KeepCore

/// Who may send what (`Protocol/SPEC.md`, "Messages"). The controller enforces it on every frame,
/// so an agent cannot, say, start a fleet backup, and an operator cannot upload objects.
extension Keep_V1_Envelope.OneOf_Body {
    /// The client roles allowed to send this message to the controller. Empty for messages only
    /// the controller sends.
    public var permittedClientRoles: Set<PeerRole> {
        switch self {
        case .hello, .heartbeat, .error, .goodbye:
            [.agent, .operator]
        case .listAgentsRequest, .startBackupRequest, .listSetsRequest, .listSnapshotsRequest, .listTreeRequest,
            .inventoryRequest, .verifyRequest, .restoreRequest, .rollbackRequest, .diffRequest, .pruneRequest,
            .listJobsRequest, .jobDetailRequest:
            [.operator]
        case .haveChunksRequest, .backupProgress, .backupComplete, .backupFailed, .fetchObjectsRequest,
            .restoreComplete, .rollbackStatus:
            [.agent]
        case .welcome, .listAgentsResponse, .jobEvent, .jobResult, .backupCommand, .haveChunksResponse,
            .backupCommitted, .listSetsResponse, .listSnapshotsResponse, .listTreeResponse, .inventoryResponse,
            .verifyResponse, .restoreCommand, .restoreResult, .rollbackCommand, .rollbackResult, .diffResponse, .pruneResponse,
            .listJobsResponse, .jobDetailResponse:
            []
        }
    }
}
