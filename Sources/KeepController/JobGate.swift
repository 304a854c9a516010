import KeepCore

/// Keeps prune and jobs apart: a prune frees objects no complete snapshot references, so it must not
/// run while a backup uploads objects that no snapshot references *yet*, nor while a restore reads.
actor JobGate {
    private var running = 0
    private var pruning = false

    func beginJob() throws {
        guard !pruning else {
            throw KeepError(.conflict, "a prune is running", hint: "wait for it to finish, then try again")
        }
        running += 1
    }

    func endJob() {
        running -= 1
    }

    func beginPrune() throws {
        guard !pruning else { throw KeepError(.conflict, "a prune is already running") }
        guard running == 0 else {
            throw KeepError(.conflict, "\(running) jobs are running", hint: "prune when no backup, restore or rollback runs")
        }
        pruning = true
    }

    func endPrune() {
        pruning = false
    }

    /// Runs a job under the gate.
    func job<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try beginJob()
        defer { running -= 1 }
        return try await body()
    }
}
