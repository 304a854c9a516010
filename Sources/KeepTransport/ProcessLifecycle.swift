import Dispatch
import Foundation

/// Runs a daemon's main task until SIGTERM or SIGINT, which cancel it for a clean shutdown.
public enum ProcessLifecycle {
    public static func runUntilTerminated(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let task = Task { try await body() }
        let sources = [SIGTERM, SIGINT].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        do {
            try await task.value
        } catch is CancellationError {
            // Asked to stop: a clean shutdown.
        }
    }
}
