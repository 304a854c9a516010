import NIOCore

/// The numeric limits of protocol version 1. They are part of the specification (`Protocol/SPEC.md`,
/// "Limits"): changing one is a protocol change.
public enum ProtocolLimits {
    /// Size of the frame header: the u32 length field plus the u8 kind.
    public static let frameHeaderLength = 5

    /// The maximum length field value before the handshake completes. Hello and Welcome are small;
    /// a bigger frame from an unauthenticated-at-protocol-level peer is refused before it is buffered.
    public static let handshakeFrameLength = 65_536

    /// The largest data chunk or tree object, in plaintext bytes.
    public static let maximumObjectLength = 4 * 1_048_576

    /// The smallest maximum frame length a session may negotiate: an uncompressed object of
    /// `maximumObjectLength` bytes plus the CHUNK header must fit.
    public static let minimumNegotiatedFrameLength = maximumObjectLength + 64

    /// The maximum frame length proposed when a peer has no other preference, and the hard cap.
    public static let defaultMaximumFrameLength = 16 * 1_048_576

    /// How often each side sends a Heartbeat.
    public static let heartbeatInterval = TimeAmount.seconds(15)

    /// A session that has received nothing (no frame of any kind) for this long is dead.
    public static let idleTimeout = TimeAmount.seconds(45)

    /// How long a client has to send Hello, and a server to answer with Welcome.
    public static let handshakeTimeout = TimeAmount.seconds(10)

    /// The most ids in one HaveChunksRequest.
    public static let maxHaveChunksBatch = 4096

    /// The most HaveChunksRequests an agent may have unanswered at once.
    public static let maxOutstandingHaveChunks = 8
}

/// Protocol versions this build speaks. Version numbers are frozen: a change that an old peer
/// cannot ignore gets a new number, and both sides pick the highest common one during the handshake.
public enum ProtocolVersion {
    /// The version this build prefers.
    public static let current: UInt32 = 1
    /// Every version this build can speak.
    public static let supported: ClosedRange<UInt32> = 1...1

    /// The highest version in both ranges, or `nil` when they do not overlap.
    public static func highestCommon(_ lhs: ClosedRange<UInt32>, _ rhs: ClosedRange<UInt32>) -> UInt32? {
        let low = max(lhs.lowerBound, rhs.lowerBound)
        let high = min(lhs.upperBound, rhs.upperBound)
        return low <= high ? high : nil
    }
}
