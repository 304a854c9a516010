import Foundation
import KeepCatalog
import KeepCore
import KeepProtocol
import KeepStore
import Logging

/// Answers operators' requests (keepctl). Each request runs in its own task; responses carry the
/// request's id. The operator's identity comes from its certificate.
struct OperatorService {
    let catalog: any Catalog
    let store: ObjectStore
    let registry: AgentRegistry
    let backups: BackupCoordinator
    let restores: RestoreCoordinator
    let rollbacks: RollbackCoordinator
    let jobs: JobBoard
    let logger: Logger

    /// Handles one request; `reply` writes a response frame.
    func handle(
        _ envelope: Keep_V1_Envelope, from operatorIdentity: PeerIdentity,
        reply: @escaping @Sendable (Keep_V1_Envelope.OneOf_Body) async -> Void
    ) async {
        do {
            switch envelope.body {
            case .listAgentsRequest(let request):
                await reply(.listAgentsResponse(try await listAgents(pool: request.pool.nonEmpty)))
            case .startBackupRequest(let request):
                let scope = try scope(of: request)
                let result = try await backups.run(
                    scope: scope, label: request.label, requestedBy: operatorIdentity,
                    events: { event in await reply(.jobEvent(event)) })
                await reply(.jobResult(result))
            case .restoreRequest(let request):
                let result = try await restores.run(
                    request, requestedBy: operatorIdentity, events: { event in await reply(.jobEvent(event)) })
                await reply(.restoreResult(result))
            case .rollbackRequest(let request):
                let result = try await rollbacks.run(
                    request, requestedBy: operatorIdentity, events: { event in await reply(.jobEvent(event)) })
                await reply(.rollbackResult(result))
            case .pruneRequest(let request):
                let pruner = Pruner(catalog: catalog, store: store, jobs: jobs, logger: logger)
                await reply(.pruneResponse(try await pruner.prune(request, requestedBy: operatorIdentity)))
            case .listJobsRequest(let request):
                await reply(.listJobsResponse(try await listJobs(request)))
            case .jobDetailRequest(let request):
                await reply(.jobDetailResponse(try await jobDetail(request)))
            case .diffRequest(let request):
                await reply(.diffResponse(try await DiffService(catalog: catalog, store: store).diff(request)))
            case .listSetsRequest(let request):
                await reply(.listSetsResponse(try await listSets(pool: request.pool.nonEmpty)))
            case .listSnapshotsRequest(let request):
                let snapshots = try await catalog.snapshots(
                    host: request.host.nonEmpty, pool: request.pool.nonEmpty,
                    set: request.setID.nonEmpty.map(BackupSetID.init(rawValue:)))
                await reply(.listSnapshotsResponse(.with { $0.snapshots = snapshots.map(\.wire) }))
            case .listTreeRequest(let request):
                await reply(.listTreeResponse(try await listTree(request)))
            case .inventoryRequest(let request):
                let documents = try await catalog.inventories(
                    kind: request.kind, host: request.host.nonEmpty, pool: request.pool.nonEmpty,
                    set: request.setID.nonEmpty.map(BackupSetID.init(rawValue:)),
                    snapshot: request.snapshotID.nonEmpty.map(SnapshotID.init(rawValue:)))
                await reply(
                    .inventoryResponse(
                        .with {
                            $0.inventories = documents.map { document in
                                .with {
                                    $0.hostID = document.hostID
                                    $0.pool = document.pool
                                    $0.snapshotID = document.snapshotID.rawValue
                                    $0.takenUnix = document.taken
                                    $0.json = Data(document.json)
                                }
                            }
                        }))
            case .verifyRequest(let request):
                let verifier = Verifier(store: store, catalog: catalog)
                await reply(.verifyResponse(try await verifier.verify(request)))
            default:
                throw KeepError(.protocolViolation, "\(envelope.body?.messageName ?? "empty message") is not a request")
            }
        } catch {
            ControllerMetrics.count(error)
            let keepError = error as? KeepError ?? KeepError(.internalError, "\(error)")
            await reply(.error(Keep_V1_Error(keepError)))
        }
    }

    private func scope(of request: Keep_V1_StartBackupRequest) throws -> BackupCoordinator.Scope {
        switch request.scope {
        case .pool(let pool): return .pool(pool)
        case .host(let host): return .host(host)
        case .all(true): return .all
        default:
            throw KeepError(.protocolViolation, "a backup needs a scope", hint: "use --pool, --host or --all")
        }
    }

    private func listAgents(pool: String?) async throws -> Keep_V1_ListAgentsResponse {
        let hosts = try await catalog.hosts(pool: pool)
        var agents: [Keep_V1_AgentInfo] = []
        for host in hosts {
            let link = await registry.link(for: host.id)
            agents.append(
                .with {
                    $0.hostID = host.id
                    $0.pool = host.pool
                    $0.connected = link != nil
                    $0.firstSeen = host.firstSeen
                    $0.lastSeen = link == nil ? host.lastSeen : Clock.unixSeconds()
                    $0.softwareVersion = host.softwareVersion
                    $0.protocolVersion = host.protocolVersion
                    $0.capabilities = host.capabilities
                    $0.remoteAddress = host.remoteAddress
                })
        }
        return .with { $0.agents = agents }
    }

    private func listSets(pool: String?) async throws -> Keep_V1_ListSetsResponse {
        var sets: [Keep_V1_BackupSetInfo] = []
        for set in try await catalog.sets(pool: pool) {
            let snapshots = try await catalog.snapshots(host: nil, pool: pool, set: set.id)
            sets.append(
                .with {
                    $0.setID = set.id.rawValue
                    $0.label = set.label
                    $0.pool = set.scope.hasPrefix("pool:") ? String(set.scope.dropFirst(5)) : ""
                    $0.created = set.created
                    $0.status = set.status.rawValue
                    $0.hosts = UInt32(snapshots.count)
                    $0.snapshotsOk = UInt32(snapshots.filter { $0.status == .complete }.count)
                    $0.snapshotsFailed = UInt32(snapshots.filter { $0.status != .complete && $0.status != .running }.count)
                    $0.bytesTotal = snapshots.reduce(0) { $0 + $1.stats.bytesTotal }
                })
        }
        return .with { $0.sets = sets }
    }

    private func listTree(_ request: Keep_V1_ListTreeRequest) async throws -> Keep_V1_ListTreeResponse {
        let id = SnapshotID(rawValue: request.snapshotID)
        guard let snapshot = try await catalog.snapshot(id) else {
            throw KeepError(.notFound, "no snapshot \(request.snapshotID)", hint: "list snapshots with keepctl snapshots")
        }
        guard snapshot.status == .complete, let root = snapshot.rootTree else {
            throw KeepError(.notFound, "snapshot \(snapshot.id) is \(snapshot.status.rawValue), not complete: it has no tree to browse")
        }
        let entries = try await SnapshotObjects(store: store, catalog: catalog).listing(root: root, path: request.path)
        return .with { $0.entries = entries.map(\.wire) }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

extension SnapshotRecord {
    var wire: Keep_V1_SnapshotInfo {
        .with {
            $0.snapshotID = id.rawValue
            $0.setID = setID.rawValue
            $0.hostID = hostID
            $0.pool = pool
            $0.status = status.rawValue
            $0.rootTree = rootTree.map { Data($0.bytes) } ?? Data()
            $0.started = started
            $0.finished = finished ?? 0
            $0.files = stats.files
            $0.bytesTotal = stats.bytesTotal
            $0.bytesNew = stats.bytesNew
            $0.error = error ?? ""
        }
    }
}
