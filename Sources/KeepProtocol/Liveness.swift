import NIOCore

/// The heartbeat rule shared by both ends of a session: send a Heartbeat every `interval`, and
/// give up on a peer from which nothing at all has arrived for `idleTimeout`.
struct Liveness: Sendable, Hashable {
    /// What a tick calls for.
    enum Decision: Sendable, Hashable {
        case nothing
        case sendHeartbeat
        case timedOut(silence: TimeAmount)
    }

    let interval: TimeAmount
    let idleTimeout: TimeAmount
    private(set) var lastReceived: NIODeadline
    private(set) var lastHeartbeatSent: NIODeadline

    init(interval: TimeAmount, idleTimeout: TimeAmount, now: NIODeadline) {
        self.interval = interval
        self.idleTimeout = idleTimeout
        self.lastReceived = now
        self.lastHeartbeatSent = now
    }

    mutating func received(at now: NIODeadline) {
        lastReceived = max(lastReceived, now)
    }

    mutating func tick(now: NIODeadline) -> Decision {
        let silence = now - lastReceived
        if silence >= idleTimeout { return .timedOut(silence: silence) }
        if now - lastHeartbeatSent >= interval {
            lastHeartbeatSent = now
            return .sendHeartbeat
        }
        return .nothing
    }
}
