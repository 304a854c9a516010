import KeepCore
import KeepProtocol
import NIOCore
import NIOEmbedded
import Testing

/// The codec in a pipeline, as the agent and controller use it.
@Suite("Frame codec in a channel")
struct FrameChannelTests {
    static func makeChannel(limits: FrameLimits) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(limits: limits)))
        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(FrameEncoder(limits: limits)))
        return channel
    }

    @Test func roundTripsEveryValidVectorThroughThePipeline() throws {
        let channel = try Self.makeChannel(limits: FrameLimits())
        for name in VectorTests.control + VectorTests.chunks {
            let bytes = try Vectors.bytes(name)
            try channel.writeInbound(ByteBuffer(bytes: bytes))
            let frame = try #require(try channel.readInbound(as: Frame.self))
            try channel.writeOutbound(frame)
            let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
            #expect(Array(written.readableBytesView) == bytes, "vector \(name)")
        }
        #expect(try channel.finish().isClean)
    }

    @Test func reassemblesFramesSplitIntoSingleBytes() throws {
        let channel = try Self.makeChannel(limits: FrameLimits())
        let frames = try ["hello", "chunk-data-none", "heartbeat"].map { try decodeStream(Vectors.bytes($0)) }
            .flatMap { $0 }
        let stream = try frames.flatMap { try $0.bytes }
        for byte in stream {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        var received: [Frame] = []
        while let frame = try channel.readInbound(as: Frame.self) { received.append(frame) }
        #expect(received == frames)
        #expect(try channel.finish().isClean)
    }

    @Test func oversizedHeaderFailsThePipelineAtOnce() throws {
        let channel = try Self.makeChannel(limits: FrameLimits())
        #expect(throws: ProtocolError.frameTooLarge(length: 65_537, maximum: 65_536)) {
            try channel.writeInbound(ByteBuffer(bytes: try Vectors.bytes("invalid-too-long")))
        }
        _ = try? channel.finish()
    }

    @Test func truncatedFrameAtCloseIsReported() throws {
        let channel = try Self.makeChannel(limits: FrameLimits())
        try channel.writeInbound(ByteBuffer(bytes: try Vectors.bytes("invalid-truncated")))
        #expect(try channel.readInbound(as: Frame.self) == nil)
        #expect(throws: ProtocolError.truncatedFrame(received: 8, expected: 14)) {
            _ = try channel.finish()
        }
    }
}
