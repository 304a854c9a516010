import NIOCore
import SwiftProtobuf

/// Writes `Frame`s in the wire format of `Protocol/SPEC.md`.
///
/// With `limits`, it refuses to write a frame longer than the maximum in force, so an oversized
/// message fails here with a clear error instead of making the peer drop the connection.
public struct FrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = Frame

    /// The maximum in force for outgoing frames, if checked.
    public let limits: FrameLimits?

    /// An encoder; pass the connection's `FrameLimits` to check outgoing lengths.
    public init(limits: FrameLimits? = nil) {
        self.limits = limits
    }

    public func encode(data: Frame, out: inout ByteBuffer) throws {
        let start = out.writerIndex
        do {
            try Self.write(data, into: &out)
        } catch {
            out.moveWriterIndex(to: start)
            throw error
        }
        let length = out.writerIndex - start - 4
        if let limits, length > limits.maximumFrameLength {
            out.moveWriterIndex(to: start)
            throw ProtocolError.frameTooLarge(length: length, maximum: limits.maximumFrameLength)
        }
    }

    /// Appends `frame` to `buffer`, without any limit but the format's own (a u32 length).
    public static func write(_ frame: Frame, into buffer: inout ByteBuffer) throws {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        switch frame {
        case .control(let envelope):
            let bytes: [UInt8]
            do {
                bytes = try envelope.serializedBytes()
            } catch {
                throw ProtocolError.malformedControl("cannot serialize envelope (\(error))")
            }
            buffer.writeInteger(FrameKind.control.rawValue)
            buffer.writeBytes(bytes)
        case .chunk(let chunk):
            try chunk.validate()
            writeChunkHeaderFields(chunk, into: &buffer)
            buffer.writeImmutableBuffer(chunk.payload)
        }
        let length = buffer.writerIndex - start - 4
        guard let wireLength = UInt32(exactly: length) else {
            buffer.moveWriterIndex(to: start)
            throw ProtocolError.frameTooLarge(length: length, maximum: Int(UInt32.max))
        }
        buffer.setInteger(wireLength, at: start)
    }
}

extension FrameEncoder {
    /// Appends the 45 bytes that precede a CHUNK frame's payload (length, kind, chunk header), so that the payload
    /// can follow as a buffer of its own instead of being copied behind them.
    public static func writeChunkHeader(_ chunk: ChunkFrame, into buffer: inout ByteBuffer) throws {
        try chunk.validate()
        let length = 1 + ChunkFrame.headerLength + chunk.payload.readableBytes
        guard let wireLength = UInt32(exactly: length) else {
            throw ProtocolError.frameTooLarge(length: length, maximum: Int(UInt32.max))
        }
        buffer.writeInteger(wireLength)
        writeChunkHeaderFields(chunk, into: &buffer)
    }

    private static func writeChunkHeaderFields(_ chunk: ChunkFrame, into buffer: inout ByteBuffer) {
        buffer.writeInteger(FrameKind.chunk.rawValue)
        buffer.writeBytes(chunk.id.bytes)
        buffer.writeInteger(chunk.type.rawValue)
        buffer.writeInteger(chunk.compression.rawValue)
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(chunk.plaintextLength)
    }
}

extension Frame {
    /// The frame's wire bytes in a new buffer.
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        try FrameEncoder.write(self, into: &buffer)
        return buffer
    }
}
