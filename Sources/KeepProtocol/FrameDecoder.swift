import KeepCore
import NIOCore
import SwiftProtobuf

/// Splits a byte stream into `Frame`s (`Protocol/SPEC.md`, "Framing").
///
/// Paranoid by design: the length field is checked against `limits` as soon as its 4 bytes have
/// arrived and the kind as soon as its byte has, so an oversized or foreign frame is refused before
/// its payload is waited for or buffered. Every failure is a `ProtocolError`.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = Frame

    /// The maximum in force; the session raises it after the handshake.
    public let limits: FrameLimits

    /// A decoder enforcing `limits` (shared with the session handler of the same connection).
    public init(limits: FrameLimits) {
        self.limits = limits
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> Frame? {
        guard let header = try peekHeader(buffer) else { return nil }
        guard buffer.readableBytes >= 4 + header.length else { return nil }
        buffer.moveReaderIndex(forwardBy: ProtocolLimits.frameHeaderLength)
        guard var payload = buffer.readSlice(length: header.length - 1) else { return nil }
        switch header.kind {
        case .control: return .control(try Self.decodeControl(payload))
        case .chunk: return .chunk(try Self.decodeChunk(&payload))
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Frame? {
        if let frame = try decode(buffer: &buffer) { return frame }
        guard buffer.readableBytes > 0 else { return nil }
        // Something is left that is not a whole frame: say how much of what was promised arrived.
        let declared = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self).map { Int($0) + 4 }
        throw ProtocolError.truncatedFrame(received: buffer.readableBytes, expected: declared ?? 4)
    }

    /// Validates the length and kind without consuming anything; `nil` until enough bytes are there.
    private func peekHeader(_ buffer: ByteBuffer) throws -> (length: Int, kind: FrameKind)? {
        guard let rawLength = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard rawLength > 0 else { throw ProtocolError.emptyFrame }
        guard UInt64(rawLength) <= UInt64(max(0, limits.maximumFrameLength)) else {
            throw ProtocolError.frameTooLarge(length: Int(rawLength), maximum: limits.maximumFrameLength)
        }
        guard let rawKind = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self) else { return nil }
        guard let kind = FrameKind(rawValue: rawKind) else { throw ProtocolError.unknownFrameKind(rawKind) }
        return (Int(rawLength), kind)
    }

    private static func decodeControl(_ payload: ByteBuffer) throws -> Keep_V1_Envelope {
        do {
            return try Keep_V1_Envelope(serializedBytes: Array(payload.readableBytesView))
        } catch {
            throw ProtocolError.malformedControl("not a keep.v1.Envelope (\(error))")
        }
    }

    private static func decodeChunk(_ payload: inout ByteBuffer) throws -> ChunkFrame {
        guard payload.readableBytes >= ChunkFrame.headerLength,
            let idBytes = payload.readBytes(length: 32),
            let id = ChunkID(bytes: idBytes),
            let rawType = payload.readInteger(as: UInt8.self),
            let rawCompression = payload.readInteger(as: UInt8.self),
            let reserved = payload.readInteger(as: UInt16.self),
            let plaintextLength = payload.readInteger(as: UInt32.self)
        else {
            throw ProtocolError.malformedChunkHeader(
                "header needs \(ChunkFrame.headerLength) bytes, frame has \(payload.readableBytes)"
            )
        }
        guard let type = ObjectType(rawValue: rawType) else {
            throw ProtocolError.malformedChunkHeader("unknown object type \(rawType)")
        }
        guard let compression = Compression(rawValue: rawCompression) else {
            throw ProtocolError.malformedChunkHeader("unknown compression \(rawCompression)")
        }
        guard reserved == 0 else {
            throw ProtocolError.malformedChunkHeader("reserved field is 0x\(String(reserved, radix: 16)), must be 0")
        }
        let frame = ChunkFrame(
            id: id, type: type, compression: compression, plaintextLength: plaintextLength, payload: payload
        )
        try frame.validate()
        return frame
    }
}

extension ChunkFrame {
    /// Checks the rules both the encoder and the decoder enforce: the plaintext length is within
    /// `ProtocolLimits.maximumObjectLength`, an uncompressed payload is exactly that long, and a
    /// compressed one is not empty.
    func validate() throws {
        guard plaintextLength <= ProtocolLimits.maximumObjectLength else {
            throw ProtocolError.malformedChunkHeader(
                "plaintext length \(plaintextLength) exceeds \(ProtocolLimits.maximumObjectLength)"
            )
        }
        switch compression {
        case .none:
            guard payload.readableBytes == Int(plaintextLength) else {
                throw ProtocolError.malformedChunkHeader(
                    "uncompressed payload has \(payload.readableBytes) bytes, header says \(plaintextLength)"
                )
            }
        case .zstd:
            guard payload.readableBytes > 0 else {
                throw ProtocolError.malformedChunkHeader("compressed payload is empty")
            }
        }
    }
}
