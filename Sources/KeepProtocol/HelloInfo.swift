import KeepCore
import NIOCore

/// What the controller learned from a client's handshake, reported with `.established`.
public struct HelloInfo: Sendable, Hashable {
    /// Who the peer is, from its verified certificate (Hello agreed with it).
    public var identity: PeerIdentity
    /// The negotiated protocol version.
    public var version: UInt32
    /// The peer's software version string, as it reported it.
    public var softwareVersion: String
    /// The optional features the peer announced.
    public var capabilities: [String]
    /// The negotiated maximum frame length, now in force in both directions.
    public var maximumFrameLength: Int
    /// This session's id, sent in Welcome.
    public var sessionID: String

    /// Collects the handshake's outcome.
    public init(
        identity: PeerIdentity, version: UInt32, softwareVersion: String, capabilities: [String],
        maximumFrameLength: Int, sessionID: String
    ) {
        self.identity = identity
        self.version = version
        self.softwareVersion = softwareVersion
        self.capabilities = capabilities
        self.maximumFrameLength = maximumFrameLength
        self.sessionID = sessionID
    }
}

/// What a client learned from the controller's Welcome, reported with `.established`.
public struct WelcomeInfo: Sendable, Hashable {
    /// The negotiated protocol version.
    public var version: UInt32
    /// The controller's name, for logs.
    public var controllerName: String
    /// The negotiated maximum frame length, now in force in both directions.
    public var maximumFrameLength: Int
    /// How often to send heartbeats, as the controller asked.
    public var heartbeatInterval: TimeAmount
    /// The session id, for logs on both sides.
    public var sessionID: String

    /// Collects the handshake's outcome.
    public init(
        version: UInt32, controllerName: String, maximumFrameLength: Int, heartbeatInterval: TimeAmount,
        sessionID: String
    ) {
        self.version = version
        self.controllerName = controllerName
        self.maximumFrameLength = maximumFrameLength
        self.heartbeatInterval = heartbeatInterval
        self.sessionID = sessionID
    }
}
