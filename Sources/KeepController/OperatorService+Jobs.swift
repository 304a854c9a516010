import KeepCatalog
import KeepCore
import KeepProtocol

/// `keepctl jobs`: what operators asked for, and each job's audit log.
extension OperatorService {
    func listJobs(_ request: Keep_V1_ListJobsRequest) async throws -> Keep_V1_ListJobsResponse {
        let limit = request.limit == 0 ? 50 : Int(min(request.limit, 10_000))
        let jobs = try await catalog.jobs(kind: request.kind.nonEmpty, limit: limit)
        return .with { $0.jobs = jobs.map(\.wire) }
    }

    func jobDetail(_ request: Keep_V1_JobDetailRequest) async throws -> Keep_V1_JobDetailResponse {
        let id = JobID(rawValue: request.jobID)
        guard let job = try await catalog.job(id) else {
            throw KeepError(.notFound, "no job \(request.jobID)", hint: "list them with keepctl jobs")
        }
        let events = try await catalog.events(of: id)
        let hosts = try await catalog.rollbackStates(job: id)
        return .with {
            $0.job = job.wire
            $0.events = events.map { event in
                .with {
                    $0.at = event.at
                    $0.hostID = event.hostID ?? ""
                    $0.kind = event.kind
                    $0.message = event.message
                }
            }
            $0.hosts = hosts.map { host in
                .with {
                    $0.hostID = host.host
                    $0.snapshotID = host.snapshot.rawValue
                    $0.state = host.state
                }
            }
        }
    }
}

extension JobRecord {
    var wire: Keep_V1_JobInfo {
        .with {
            $0.jobID = id.rawValue
            $0.kind = kind
            $0.scope = scope
            $0.requestedBy = requestedBy
            $0.created = created
            $0.finished = finished ?? 0
            $0.status = status.rawValue
        }
    }
}
