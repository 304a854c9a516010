import KeepCore
import NIOCore

/// The client's side of one session, for keep-agent and keepctl (`Protocol/SPEC.md`, "Session"):
/// it sends Hello, expects Welcome, raises the frame limit to the negotiated one, then keeps the
/// session alive and hands other frames on.
///
/// A pure value: no sockets, no clock. Each mutating method returns the actions the channel handler
/// must perform, in order.
public struct ClientSessionStateMachine: Sendable {
    /// What the client says about itself in Hello.
    public struct Configuration: Sendable, Hashable {
        /// `.agent` or `.operator`: the role of the client's certificate.
        public var role: PeerRole
        /// Agents: the host id of their certificate. Operators: their name.
        public var hostID: String
        /// Agents: the pool of their certificate. Operators: empty.
        public var pool: String
        /// E.g. `keep-agent 0.1.0`.
        public var softwareVersion: String
        /// Optional features, e.g. `zstd`.
        public var capabilities: [String]
        /// The versions this client speaks.
        public var supportedVersions: ClosedRange<UInt32>
        /// The largest frame this client accepts; clamped into
        /// `minimumNegotiatedFrameLength...defaultMaximumFrameLength`.
        public var maximumFrameLength: Int
        /// How long the controller may take to answer Hello.
        public var handshakeTimeout: TimeAmount

        /// The protocol's defaults for a client of `role`.
        public init(
            role: PeerRole, hostID: String, pool: String = "", softwareVersion: String, capabilities: [String] = [],
            supportedVersions: ClosedRange<UInt32> = ProtocolVersion.supported,
            maximumFrameLength: Int = ProtocolLimits.defaultMaximumFrameLength,
            handshakeTimeout: TimeAmount = ProtocolLimits.handshakeTimeout
        ) {
            self.role = role
            self.hostID = hostID
            self.pool = pool
            self.softwareVersion = softwareVersion
            self.capabilities = capabilities
            self.supportedVersions = supportedVersions
            self.maximumFrameLength = min(
                max(maximumFrameLength, ProtocolLimits.minimumNegotiatedFrameLength),
                ProtocolLimits.defaultMaximumFrameLength
            )
            self.handshakeTimeout = handshakeTimeout
        }
    }

    /// What the channel handler must do.
    public enum Action: Sendable {
        /// Write this frame to the controller.
        case send(Frame)
        /// Set the connection's `FrameLimits.maximumFrameLength` to this value before reading on.
        case raiseFrameLimit(Int)
        /// The handshake succeeded; requests may be sent now.
        case established(WelcomeInfo)
        /// A frame for the client's services (a response, a command, a chunk).
        case deliver(Frame)
        /// Close the connection. `nil` means an orderly end (Goodbye); otherwise why it failed.
        case close(KeepError?)
    }

    enum State: Sendable {
        case idle
        case awaitingWelcome(since: NIODeadline)
        case established(WelcomeInfo)
        case closed
    }

    /// What this client announces.
    public let configuration: Configuration
    private(set) var state: State = .idle
    private var liveness: Liveness?

    /// A session that has not said Hello yet.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The handshake's outcome while the session is established.
    public var established: WelcomeInfo? {
        if case .established(let info) = state { return info }
        return nil
    }

    /// True once the session has ended, for whatever reason.
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// The connection (TLS included) is up: say Hello.
    public mutating func start(now: NIODeadline) -> [Action] {
        guard case .idle = state else { return [] }
        state = .awaitingWelcome(since: now)
        let hello = Keep_V1_Hello.with {
            $0.minVersion = configuration.supportedVersions.lowerBound
            $0.maxVersion = configuration.supportedVersions.upperBound
            $0.role = configuration.role.wireRole ?? .unspecified
            $0.hostID = configuration.hostID
            $0.pool = configuration.pool
            $0.softwareVersion = configuration.softwareVersion
            $0.capabilities = configuration.capabilities
            $0.maxFrameLength = UInt32(configuration.maximumFrameLength)
        }
        return [.send(.control(.hello(hello)))]
    }

    /// Handles one frame from the controller.
    public mutating func receive(_ frame: Frame, now: NIODeadline) -> [Action] {
        switch state {
        case .closed:
            return []
        case .idle:
            return fail(ProtocolError.unexpectedMessage(frame.messageName, state: "before hello").keepError)
        case .awaitingWelcome:
            return receiveDuringHandshake(frame, now: now)
        case .established:
            liveness?.received(at: now)
            return receiveEstablished(frame)
        }
    }

    /// Handles the passage of time: heartbeats, the handshake deadline and the idle timeout. Call it
    /// about once a second; `unixMillis` is the wall clock put into heartbeats.
    public mutating func tick(now: NIODeadline, unixMillis: Int64) -> [Action] {
        switch state {
        case .idle, .closed:
            return []
        case .awaitingWelcome(let since):
            guard now - since >= configuration.handshakeTimeout else { return [] }
            state = .closed
            return [
                .close(
                    KeepError(
                        .unavailable,
                        "the controller did not answer Hello within "
                            + "\(configuration.handshakeTimeout.seconds) s",
                        hint: "check that the address points at keep-controller and that it is not overloaded"
                    )
                )
            ]
        case .established:
            guard var liveness else { return [] }
            let decision = liveness.tick(now: now)
            self.liveness = liveness
            switch decision {
            case .nothing:
                return []
            case .sendHeartbeat:
                return [.send(.control(.heartbeat(.with { $0.unixMillis = unixMillis })))]
            case .timedOut(let silence):
                state = .closed
                return [.close(SessionErrors.idle(silence: silence, peer: "controller"))]
            }
        }
    }

    /// The decoder rejected the controller's bytes: tell it why and close.
    public mutating func decodingFailed(_ error: ProtocolError) -> [Action] {
        guard !isClosed else { return [] }
        return fail(error.keepError)
    }

    /// The client wants to end the session: say Goodbye and close.
    public mutating func close(reason: String) -> [Action] {
        guard !isClosed else { return [] }
        let wasOpen: Bool
        if case .idle = state { wasOpen = false } else { wasOpen = true }
        state = .closed
        guard wasOpen else { return [.close(nil)] }
        return [.send(.control(.goodbye(.with { $0.reason = reason }))), .close(nil)]
    }

    /// The connection went away without Goodbye; returns the error to report, if it was not closed already.
    public mutating func connectionLost() -> KeepError? {
        guard !isClosed else { return nil }
        let duringHandshake: Bool
        if case .established = state { duringHandshake = false } else { duringHandshake = true }
        state = .closed
        if duringHandshake {
            return KeepError(
                .unavailable, "the controller closed the connection during the handshake",
                hint: "check the controller's log: it refuses certificates it did not issue or has revoked"
            )
        }
        return KeepError(.unavailable, "connection to the controller lost", hint: "reconnect")
    }

    private mutating func receiveDuringHandshake(_ frame: Frame, now: NIODeadline) -> [Action] {
        guard case .control(let envelope) = frame, let body = envelope.body else {
            return fail(ProtocolError.unexpectedMessage(frame.messageName, state: "awaiting welcome").keepError)
        }
        switch body {
        case .welcome(let welcome):
            return accept(welcome, now: now)
        case .error(let message):
            state = .closed
            return [.close(Self.refusal(KeepError(message), configuration: configuration))]
        case .goodbye(let goodbye):
            state = .closed
            return [
                .close(
                    KeepError(.unavailable, "the controller ended the session during the handshake: \(goodbye.reason)")
                )
            ]
        default:
            return fail(ProtocolError.unexpectedMessage(body.messageName, state: "awaiting welcome").keepError)
        }
    }

    private mutating func accept(_ welcome: Keep_V1_Welcome, now: NIODeadline) -> [Action] {
        guard configuration.supportedVersions.contains(welcome.version) else {
            return fail(
                KeepError(
                    .versionMismatch,
                    "the controller chose protocol version \(welcome.version), which this client does not speak "
                        + "(\(configuration.supportedVersions.lowerBound)…\(configuration.supportedVersions.upperBound))",
                    hint: "the controller is misbehaving; upgrade it or this client"
                )
            )
        }
        let length = Int(welcome.maxFrameLength)
        guard (ProtocolLimits.minimumNegotiatedFrameLength...configuration.maximumFrameLength).contains(length) else {
            return fail(
                KeepError(
                    .protocolViolation,
                    "Welcome sets a maximum frame length of \(length) bytes, outside "
                        + "\(ProtocolLimits.minimumNegotiatedFrameLength)…\(configuration.maximumFrameLength)"
                )
            )
        }
        let interval = TimeAmount.seconds(Int64(max(1, welcome.heartbeatIntervalSeconds)))
        let info = WelcomeInfo(
            version: welcome.version, controllerName: welcome.controllerName, maximumFrameLength: length,
            heartbeatInterval: interval, sessionID: welcome.sessionID
        )
        state = .established(info)
        liveness = Liveness(interval: interval, idleTimeout: interval * 3, now: now)
        return [.raiseFrameLimit(length), .established(info)]
    }

    private mutating func receiveEstablished(_ frame: Frame) -> [Action] {
        guard case .control(let envelope) = frame else { return [.deliver(frame)] }
        guard let body = envelope.body else {
            guard envelope.requestID != 0 else { return [] }
            let error = KeepError(
                .protocolViolation, "unknown message", context: "controller",
                hint: "the controller is newer than this client; upgrade this client"
            )
            return [.send(.error(error, requestID: envelope.requestID))]
        }
        switch body {
        case .heartbeat:
            return []
        case .goodbye:
            state = .closed
            return [.close(nil)]
        case .error(let error) where envelope.requestID == 0:
            state = .closed
            return [.close(KeepError(error))]
        case .hello, .welcome:
            return fail(ProtocolError.unexpectedMessage(body.messageName, state: "established").keepError)
        case .error:
            return [.deliver(frame)]
        default:
            guard body.permittedClientRoles.isEmpty else {
                return fail(ProtocolError.unexpectedMessage(body.messageName, state: "established").keepError)
            }
            return [.deliver(frame)]
        }
    }

    private mutating func fail(_ error: KeepError) -> [Action] {
        state = .closed
        return [.send(.error(error)), .close(error)]
    }

    /// Rewords the controller's refusal of Hello so that the operator sees it was the handshake.
    private static func refusal(_ error: KeepError, configuration: Configuration) -> KeepError {
        var refusal = error
        let versions = "\(configuration.supportedVersions.lowerBound)…\(configuration.supportedVersions.upperBound)"
        switch error.code {
        case .versionMismatch:
            refusal.reason =
                "the controller does not speak this client's protocol versions \(versions): \(error.reason)"
            refusal.hint = error.hint ?? "run keep-controller and this client from compatible releases"
        default:
            refusal.reason = "the controller refused the handshake: \(error.reason)"
        }
        refusal.context = refusal.context ?? "controller"
        return refusal
    }
}
