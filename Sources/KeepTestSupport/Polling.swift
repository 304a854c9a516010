import Foundation

/// Polls `condition` every `interval` until it is true; throws with `what` (and `details`, e.g. logs)
/// after `timeout`. Bounded polls replace fixed sleeps: a test waits exactly as long as it must.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(20), interval: Duration = .milliseconds(50),
    details: @Sendable () -> String = { "" }, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        guard ContinuousClock.now < deadline else {
            throw TestSupportError("timed out after \(timeout) waiting until \(what)\n\(details())")
        }
        try await Task.sleep(for: interval)
    }
}
