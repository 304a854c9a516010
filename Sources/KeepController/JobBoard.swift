import KeepCatalog
import KeepCore

/// The jobs this controller runs right now. Coordinators start and finish their jobs here rather
/// than in the catalog directly, which feeds the `keep_jobs_*` metrics and lets a shutdown record
/// every running job as interrupted before the sessions close: once `stop()` ran, the failures that
/// follow from closing the sessions do not overwrite `interrupted` with `failed`.
///
/// It also keeps prune and the other jobs apart: a prune frees objects no complete snapshot
/// references, so it must not run while a backup uploads objects no snapshot references *yet*, nor
/// while a restore reads.
actor JobBoard {
    private let catalog: any Catalog
    /// Running job ids with their kind.
    private var running: [JobID: String] = [:]
    private var stopping = false
    private var pruning = false

    init(catalog: any Catalog) {
        self.catalog = catalog
    }

    /// Records a new running job; refused while a prune runs.
    func begin(_ job: JobRecord) async throws {
        guard !pruning else {
            throw KeepError(.conflict, "a prune is running", hint: "wait for it to finish, then try again")
        }
        try await catalog.createJob(job)
        running[job.id] = job.kind
        updateRunning(kind: job.kind)
    }

    /// Records a prune job; refused while any other job runs. End it with `finish`.
    func beginPrune(_ job: JobRecord) async throws {
        guard !pruning else { throw KeepError(.conflict, "a prune is already running") }
        guard running.isEmpty else {
            throw KeepError(
                .conflict, "\(running.count) jobs are running", hint: "prune when no backup, restore or rollback runs")
        }
        pruning = true
        do {
            try await catalog.createJob(job)
        } catch {
            pruning = false
            throw error
        }
        running[job.id] = job.kind
        updateRunning(kind: job.kind)
    }

    /// Marks an interrupted job running again (a resumed rollback).
    func resume(_ id: JobID, kind: String) async throws {
        try await catalog.finishJob(id, status: .running, at: Clock.unixSeconds())
        running[id] = kind
        updateRunning(kind: kind)
    }

    /// Records the end of a job (and of its backup set, if it has one). Returns false, writing
    /// nothing, when a shutdown already recorded the job as interrupted.
    @discardableResult
    func finish(_ id: JobID, status: RecordStatus, set: BackupSetID? = nil) async throws -> Bool {
        guard !stopping else { return false }
        let kind = running.removeValue(forKey: id)
        if kind == "prune" { pruning = false }
        if let kind {
            ControllerMetrics.jobsFinished(kind: kind, status: status.rawValue).increment()
            updateRunning(kind: kind)
        }
        if let set { try await catalog.finishSet(set, status: status, at: Clock.unixSeconds()) }
        try await catalog.finishJob(id, status: status, at: Clock.unixSeconds())
        return true
    }

    /// Marks every job, set and snapshot still `running` in the catalog as `interrupted`, with an
    /// audit event each: at start-up (left by a crash) and at shutdown. At shutdown (`stopping`),
    /// later `finish` calls are ignored. Returns the ids of the jobs so marked.
    func markInterrupted(stopping: Bool) async throws -> [JobID] {
        if stopping { self.stopping = true }
        let now = Clock.unixSeconds()
        let interrupted = try await catalog.markRunningAsInterrupted(at: now)
        for job in interrupted {
            try await catalog.appendEvent(
                JobEventRecord(
                    jobID: job, at: now, kind: "job-interrupted", message: "the controller stopped during this job"))
        }
        for (id, kind) in running {
            ControllerMetrics.jobsFinished(kind: kind, status: RecordStatus.interrupted.rawValue).increment()
            running[id] = nil
            updateRunning(kind: kind)
        }
        return interrupted
    }

    private func updateRunning(kind: String) {
        ControllerMetrics.jobsRunning(kind: kind).record(running.values.filter { $0 == kind }.count)
    }
}
