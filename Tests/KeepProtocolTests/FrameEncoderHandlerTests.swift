import KeepCore
import KeepProtocol
import NIOCore
import NIOEmbedded
import Testing

/// The handler the transport uses to write frames: the same bytes as `FrameEncoder`, a CHUNK payload never copied.
@Suite("FrameEncoderHandler")
struct FrameEncoderHandlerTests {
    static func makeChannel(limits: FrameLimits? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(FrameEncoderHandler(limits: limits))
        return channel
    }

    /// Everything written so far, as the peer would read it off the wire.
    static func wireBytes(_ channel: EmbeddedChannel) throws -> (bytes: [UInt8], buffers: Int) {
        var bytes: [UInt8] = []
        var buffers = 0
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            bytes += buffer.readableBytesView
            buffers += 1
        }
        return (bytes, buffers)
    }

    @Test func writesEveryValidVectorByteForByte() throws {
        let channel = try Self.makeChannel()
        for name in VectorTests.control + VectorTests.chunks {
            let bytes = try Vectors.bytes(name)
            for frame in try decodeStream(bytes) { try channel.writeOutbound(frame) }
            #expect(try Self.wireBytes(channel).bytes == bytes, "vector \(name)")
        }
        #expect(try channel.finish().isClean)
    }

    @Test func sendsAChunkPayloadAsItsOwnBuffer() throws {
        let channel = try Self.makeChannel()
        let payload = ByteBuffer(repeating: 0x5A, count: 100_000)
        let chunk = ChunkFrame(
            id: try #require(ChunkID(bytes: [UInt8](repeating: 7, count: 32))), type: .data, compression: .none,
            plaintextLength: 100_000, payload: payload)
        try channel.writeOutbound(Frame.chunk(chunk))
        let header = try #require(try channel.readOutbound(as: ByteBuffer.self))
        let body = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(header.readableBytes == ProtocolLimits.frameHeaderLength + ChunkFrame.headerLength)
        #expect(body == payload)
        let encoded = try Frame.chunk(chunk).encoded()
        #expect(Array(header.readableBytesView) + Array(body.readableBytesView) == Array(encoded.readableBytesView))
        #expect(try channel.finish().isClean)
    }

    @Test func refusesAChunkOverTheLimitAndWritesNothing() throws {
        let channel = try Self.makeChannel(limits: FrameLimits(maximumFrameLength: 1_000))
        let chunk = ChunkFrame(
            id: try #require(ChunkID(bytes: [UInt8](repeating: 7, count: 32))), type: .data, compression: .none,
            plaintextLength: 2_000, payload: ByteBuffer(repeating: 1, count: 2_000))
        #expect(throws: ProtocolError.frameTooLarge(length: 2_041, maximum: 1_000)) {
            try channel.writeOutbound(Frame.chunk(chunk))
        }
        #expect(try Self.wireBytes(channel).buffers == 0)
        _ = try? channel.finish()
    }

    @Test func refusesAnInvalidChunkAndWritesNothing() throws {
        let channel = try Self.makeChannel()
        let chunk = ChunkFrame(
            id: try #require(ChunkID(bytes: [UInt8](repeating: 7, count: 32))), type: .data, compression: .none,
            plaintextLength: 10, payload: ByteBuffer(repeating: 1, count: 9))
        #expect(throws: ProtocolError.self) { try channel.writeOutbound(Frame.chunk(chunk)) }
        #expect(try Self.wireBytes(channel).buffers == 0)
        _ = try? channel.finish()
    }
}
