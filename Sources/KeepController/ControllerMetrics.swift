import CoreMetrics
import KeepCore

/// The controller's metrics, through swift-metrics: the instrumented code never sees Prometheus.
/// keep-controller bootstraps a Prometheus factory when `metrics:` is configured; otherwise every
/// handle is a no-op.
///
/// Handles are made on demand: the factory returns the same series for the same name and labels,
/// so nothing has to be created before the process bootstraps its metrics system.
enum ControllerMetrics {
    /// Payload bytes of the CHUNK frames agents sent (compressed as sent, before dedup).
    static var bytesReceived: Counter { Counter(label: "keep_bytes_received_total") }
    /// Bytes added to packs by objects the store did not have yet.
    static var bytesStored: Counter { Counter(label: "keep_bytes_stored_total") }
    /// CHUNK frames agents sent.
    static var chunksReceived: Counter { Counter(label: "keep_chunks_received_total") }
    /// Objects that needed no upload or no storage: existence queries answered "present", and
    /// received objects that were already stored.
    static var chunksDeduplicated: Counter { Counter(label: "keep_chunks_deduplicated_total") }
    /// Packs written durably to the backend.
    static var packsWritten: Counter { Counter(label: "keep_packs_written_total") }

    /// Jobs that ended, by kind (`backup`, `restore`, `rollback`, …) and final status.
    static func jobsFinished(kind: String, status: String) -> Counter {
        Counter(label: "keep_jobs_total", dimensions: [("kind", kind), ("status", status)])
    }

    /// Jobs running now, by kind.
    static func jobsRunning(kind: String) -> Gauge {
        Gauge(label: "keep_jobs_running", dimensions: [("kind", kind)])
    }

    /// Agents connected now, by pool.
    static func agentsConnected(pool: String) -> Gauge {
        Gauge(label: "keep_agents_connected", dimensions: [("pool", pool)])
    }

    /// Connections dropped before a session was established: `tls` (handshake or certificate) or
    /// the error code of a failed Hello/Welcome exchange (`version-mismatch`, `identity-mismatch`, …).
    static func sessionRefused(reason: String) -> Counter {
        Counter(label: "keep_sessions_refused_total", dimensions: [("reason", reason)])
    }

    /// Errors the controller logged, by `KeepError` code (`io`, `integrity`, `host-offline`, …).
    static func error(kind: String) -> Counter {
        Counter(label: "keep_errors_total", dimensions: [("kind", kind)])
    }

    /// Counts `error` under its `KeepError` code (`internal` for any other error). Codes this build
    /// does not know (a newer peer's) share `other`, so a peer cannot grow the label set.
    static func count(_ error: any Error) {
        let code = (error as? KeepError)?.code ?? .internalError
        let kind = (1...KeepError.Code.jobFailed.rawValue).contains(code.rawValue) ? code.description : "other"
        self.error(kind: kind).increment()
    }

    /// Creates the unlabelled series, so a scrape shows them at 0 before the first backup.
    static func registerAll() {
        for counter in [bytesReceived, bytesStored, chunksReceived, chunksDeduplicated, packsWritten] {
            counter.increment(by: 0)
        }
    }
}
