import KeepCore

/// Fired with `fireUserInboundEventTriggered` once the handshake succeeded and the peer's certificate was verified
/// against the Keep CA, its identity parsed and its role accepted. Nothing else on the connection names the peer.
public struct TLSHandshakeCompleted: Sendable {
    /// Who the peer is, read from its verified certificate subject.
    public let peer: PeerIdentity
    /// SHA-256 of the peer certificate's DER encoding, lowercase hex (what the catalog records per host).
    public let certificateFingerprint: String
    /// The peer certificate's notAfter, in Unix seconds (to warn before it expires).
    public let certificateNotAfter: Int64
}
