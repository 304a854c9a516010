import KeepCore

/// A violation of the wire protocol detected by this side: a frame that cannot be decoded, or a
/// message that is not allowed where it arrived.
///
/// The connection cannot continue after one of these; `keepError` gives the operator-facing form
/// that is sent to the peer in an Error message before closing.
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What exactly went wrong.
    public enum Kind: Sendable, Hashable {
        /// The length field exceeds the maximum currently in force.
        case frameTooLarge(length: Int, maximum: Int)
        /// The kind byte is neither CONTROL (0x01) nor CHUNK (0x02).
        case unknownFrameKind(UInt8)
        /// The length field is 0: there is not even a kind byte.
        case emptyFrame
        /// The connection ended in the middle of a frame.
        case truncatedFrame(received: Int, expected: Int)
        /// The CHUNK header is short or has an invalid field.
        case malformedChunkHeader(String)
        /// The CONTROL payload is not a valid `keep.v1.Envelope`.
        case malformedControl(String)
        /// A well-formed message that is not allowed in the session's current state or from the
        /// peer's role.
        case unexpectedMessage(received: String, state: String)
    }

    /// What went wrong.
    public var kind: Kind

    /// Wraps a kind.
    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// See `Kind.frameTooLarge`.
    public static func frameTooLarge(length: Int, maximum: Int) -> ProtocolError {
        ProtocolError(.frameTooLarge(length: length, maximum: maximum))
    }

    /// See `Kind.unknownFrameKind`.
    public static func unknownFrameKind(_ kind: UInt8) -> ProtocolError { ProtocolError(.unknownFrameKind(kind)) }

    /// See `Kind.emptyFrame`.
    public static let emptyFrame = ProtocolError(.emptyFrame)

    /// See `Kind.truncatedFrame`.
    public static func truncatedFrame(received: Int, expected: Int) -> ProtocolError {
        ProtocolError(.truncatedFrame(received: received, expected: expected))
    }

    /// See `Kind.malformedChunkHeader`.
    public static func malformedChunkHeader(_ detail: String) -> ProtocolError {
        ProtocolError(.malformedChunkHeader(detail))
    }

    /// See `Kind.malformedControl`.
    public static func malformedControl(_ detail: String) -> ProtocolError { ProtocolError(.malformedControl(detail)) }

    /// See `Kind.unexpectedMessage`.
    public static func unexpectedMessage(_ received: String, state: String) -> ProtocolError {
        ProtocolError(.unexpectedMessage(received: received, state: state))
    }

    public var description: String {
        switch kind {
        case .frameTooLarge(let length, let maximum):
            "frame of \(length) bytes exceeds the maximum of \(maximum) bytes"
        case .unknownFrameKind(let kind):
            "unknown frame kind 0x\(String(kind, radix: 16))"
        case .emptyFrame:
            "frame with length 0 (no kind byte)"
        case .truncatedFrame(let received, let expected):
            "connection closed inside a frame: \(received) of \(expected) bytes received"
        case .malformedChunkHeader(let detail):
            "malformed CHUNK frame: \(detail)"
        case .malformedControl(let detail):
            "malformed CONTROL frame: \(detail)"
        case .unexpectedMessage(let received, let state):
            "unexpected \(received) while \(state)"
        }
    }

    /// The form sent to the peer and shown to the operator (code `protocolViolation`).
    public var keepError: KeepError {
        KeepError(
            .protocolViolation, description,
            hint: "check that both sides run compatible Keep versions; this is a bug if they do"
        )
    }
}
