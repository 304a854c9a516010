import KeepCore
import NIOCore

/// The controller's side of one session (`Protocol/SPEC.md`, "Session"): it waits for Hello,
/// checks it against the identity from the peer's verified certificate, negotiates the version and
/// frame size, then polices every frame the peer sends and keeps the session alive.
///
/// A pure value: no sockets, no clock. Each mutating method returns the actions the channel handler
/// must perform, in order.
public struct ControllerSessionStateMachine: Sendable {
    /// The controller's side of the negotiation.
    public struct Configuration: Sendable, Hashable {
        /// The controller's name (its certificate name), sent in Welcome.
        public var controllerName: String
        /// The versions this controller speaks.
        public var supportedVersions: ClosedRange<UInt32>
        /// The largest frame this controller accepts; clamped into
        /// `minimumNegotiatedFrameLength...defaultMaximumFrameLength`.
        public var maximumFrameLength: Int
        /// How often both sides send a Heartbeat; announced in Welcome.
        public var heartbeatInterval: TimeAmount
        /// Silence after which the session is declared dead.
        public var idleTimeout: TimeAmount
        /// How long a new connection may take to send Hello.
        public var handshakeTimeout: TimeAmount

        /// The protocol's defaults, for a controller called `controllerName`.
        public init(
            controllerName: String,
            supportedVersions: ClosedRange<UInt32> = ProtocolVersion.supported,
            maximumFrameLength: Int = ProtocolLimits.defaultMaximumFrameLength,
            heartbeatInterval: TimeAmount = ProtocolLimits.heartbeatInterval,
            idleTimeout: TimeAmount = ProtocolLimits.idleTimeout,
            handshakeTimeout: TimeAmount = ProtocolLimits.handshakeTimeout
        ) {
            self.controllerName = controllerName
            self.supportedVersions = supportedVersions
            self.maximumFrameLength = min(
                max(maximumFrameLength, ProtocolLimits.minimumNegotiatedFrameLength),
                ProtocolLimits.defaultMaximumFrameLength
            )
            self.heartbeatInterval = heartbeatInterval
            self.idleTimeout = idleTimeout
            self.handshakeTimeout = handshakeTimeout
        }
    }

    /// What the channel handler must do.
    public enum Action: Sendable {
        /// Write this frame to the peer.
        case send(Frame)
        /// Set the connection's `FrameLimits.maximumFrameLength` to this value before reading on.
        case raiseFrameLimit(Int)
        /// The handshake succeeded: register the session.
        case established(HelloInfo)
        /// A frame the peer is allowed to send: hand it to the controller's services.
        case deliver(Frame)
        /// Close the connection. `nil` means an orderly end (Goodbye); otherwise why it failed.
        case close(KeepError?)
    }

    enum State: Sendable {
        case awaitingHello(since: NIODeadline)
        case established(HelloInfo)
        case closed
    }

    /// Who is at the other end, from its verified TLS certificate.
    public let peer: PeerIdentity
    /// The controller's configuration for this session.
    public let configuration: Configuration
    /// This session's id, sent in Welcome.
    public let sessionID: String
    private(set) var state: State
    private var liveness: Liveness

    /// A session for a connection whose TLS handshake verified `peer`, starting at `now`.
    public init(peer: PeerIdentity, configuration: Configuration, sessionID: String, now: NIODeadline) {
        self.peer = peer
        self.configuration = configuration
        self.sessionID = sessionID
        self.state = .awaitingHello(since: now)
        self.liveness = Liveness(
            interval: configuration.heartbeatInterval, idleTimeout: configuration.idleTimeout, now: now
        )
    }

    /// The handshake's outcome while the session is established.
    public var established: HelloInfo? {
        if case .established(let info) = state { return info }
        return nil
    }

    /// True once the session has ended, for whatever reason.
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// Handles one frame from the peer.
    public mutating func receive(_ frame: Frame, now: NIODeadline) -> [Action] {
        switch state {
        case .closed:
            return []
        case .awaitingHello:
            guard case .control(let envelope) = frame, case .hello(let hello) = envelope.body else {
                return fail(ProtocolError.unexpectedMessage(frame.messageName, state: "awaiting hello").keepError)
            }
            liveness.received(at: now)
            return accept(hello)
        case .established:
            liveness.received(at: now)
            return receiveEstablished(frame)
        }
    }

    /// Handles the passage of time: heartbeats, the handshake deadline and the idle timeout. Call it
    /// about once a second; `unixMillis` is the wall clock put into heartbeats.
    public mutating func tick(now: NIODeadline, unixMillis: Int64) -> [Action] {
        switch state {
        case .closed:
            return []
        case .awaitingHello(let since):
            guard now - since >= configuration.handshakeTimeout else { return [] }
            return fail(
                KeepError(
                    .protocolViolation, "no Hello within \(configuration.handshakeTimeout.seconds) s of connecting",
                    context: peer.description, hint: "check that the peer runs keep-agent or keepctl"
                )
            )
        case .established:
            switch liveness.tick(now: now) {
            case .nothing:
                return []
            case .sendHeartbeat:
                return [.send(.control(.heartbeat(.with { $0.unixMillis = unixMillis })))]
            case .timedOut(let silence):
                state = .closed
                return [.close(SessionErrors.idle(silence: silence, peer: peer.description))]
            }
        }
    }

    /// The decoder rejected the peer's bytes: tell the peer why and close.
    public mutating func decodingFailed(_ error: ProtocolError) -> [Action] {
        guard !isClosed else { return [] }
        return fail(error.keepError)
    }

    /// The controller wants to end the session (shutdown, revoked host): say Goodbye and close.
    public mutating func close(reason: String) -> [Action] {
        guard !isClosed else { return [] }
        state = .closed
        return [.send(.control(.goodbye(.with { $0.reason = reason }))), .close(nil)]
    }

    /// The connection went away without Goodbye; returns the error to log, if it was not closed already.
    public mutating func connectionLost() -> KeepError? {
        guard !isClosed else { return nil }
        state = .closed
        return KeepError(.unavailable, "connection lost", context: peer.description)
    }

    private mutating func accept(_ hello: Keep_V1_Hello) -> [Action] {
        guard hello.minVersion <= hello.maxVersion else {
            return fail(
                KeepError(
                    .protocolViolation, "Hello offers an empty version range \(hello.minVersion)…\(hello.maxVersion)",
                    context: peer.description
                )
            )
        }
        let offered = hello.minVersion...hello.maxVersion
        guard let version = ProtocolVersion.highestCommon(offered, configuration.supportedVersions) else {
            return fail(
                SessionErrors.versionMismatch(peer: peer, offered: offered, supported: configuration.supportedVersions))
        }
        if let refusal = HelloChecks.identityRefusal(hello, peer: peer) { return fail(refusal) }
        let proposed = hello.maxFrameLength == 0 ? ProtocolLimits.defaultMaximumFrameLength : Int(hello.maxFrameLength)
        let negotiated = min(proposed, configuration.maximumFrameLength)
        guard negotiated >= ProtocolLimits.minimumNegotiatedFrameLength else {
            return fail(
                KeepError(
                    .protocolViolation,
                    "Hello proposes a maximum frame length of \(proposed) bytes, below the protocol's minimum of "
                        + "\(ProtocolLimits.minimumNegotiatedFrameLength)",
                    context: peer.description
                )
            )
        }
        let info = HelloInfo(
            identity: peer, version: version, softwareVersion: hello.softwareVersion,
            capabilities: hello.capabilities, maximumFrameLength: negotiated, sessionID: sessionID
        )
        state = .established(info)
        let welcome = Keep_V1_Welcome.with {
            $0.version = version
            $0.controllerName = configuration.controllerName
            $0.maxFrameLength = UInt32(negotiated)
            $0.heartbeatIntervalSeconds = UInt32(clamping: configuration.heartbeatInterval.seconds)
            $0.sessionID = sessionID
        }
        return [.raiseFrameLimit(negotiated), .send(.control(.welcome(welcome))), .established(info)]
    }

    private mutating func receiveEstablished(_ frame: Frame) -> [Action] {
        guard case .control(let envelope) = frame else {
            guard peer.role == .agent else {
                return fail(
                    KeepError(
                        .permissionDenied, "a \(peer.role.rawValue) may not send CHUNK frames",
                        context: peer.description
                    )
                )
            }
            return [.deliver(frame)]
        }
        guard let body = envelope.body else {
            // A message from a newer schema: refuse the request, keep the session.
            guard envelope.requestID != 0 else { return [] }
            let error = KeepError(
                .protocolViolation, "unknown message", context: peer.description,
                hint: "the peer is newer than this controller; upgrade keep-controller"
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
        case .hello:
            return fail(ProtocolError.unexpectedMessage("hello", state: "established").keepError)
        default:
            guard body.permittedClientRoles.contains(peer.role) else {
                return fail(
                    KeepError(
                        .permissionDenied, "a \(peer.role.rawValue) may not send \(body.messageName)",
                        context: peer.description
                    )
                )
            }
            return [.deliver(frame)]
        }
    }

    private mutating func fail(_ error: KeepError) -> [Action] {
        state = .closed
        return [.send(.error(error)), .close(error)]
    }
}

extension TimeAmount {
    /// Whole seconds, rounded down.
    var seconds: Int64 { nanoseconds / 1_000_000_000 }
}
