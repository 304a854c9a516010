import Foundation
import KeepCore
import KeepProtocol
import NIOCore
import Testing

@Suite("FrameEncoder")
struct FrameEncoderTests {
    @Test func writesTheDocumentedHeader() throws {
        let bytes = try Frame.control(.heartbeat(.with { $0.unixMillis = 1 })).bytes
        // length 5 (kind + 4 payload bytes), kind 0x01, Envelope{heartbeat{unix_millis: 1}}.
        #expect(bytes == [0, 0, 0, 5, 0x01, 0x62, 0x02, 0x08, 0x01])
    }

    @Test func refusesToSendAFrameAboveTheLimit() throws {
        let encoder = FrameEncoder(limits: FrameLimits(maximumFrameLength: 10))
        var out = ByteBuffer()
        let frame = Frame.control(.goodbye(.with { $0.reason = "a reason that is too long" }))
        #expect(throws: ProtocolError.frameTooLarge(length: 30, maximum: 10)) {
            try encoder.encode(data: frame, out: &out)
        }
        #expect(out.readableBytes == 0)
    }

    @Test func refusesAnInconsistentChunk() throws {
        let id = try #require(ChunkID(bytes: [UInt8](repeating: 7, count: 32)))
        let frame = Frame.chunk(
            ChunkFrame(id: id, type: .data, compression: .none, plaintextLength: 4, payload: ByteBuffer(string: "abc"))
        )
        var out = ByteBuffer()
        #expect(throws: ProtocolError.malformedChunkHeader("uncompressed payload has 3 bytes, header says 4")) {
            try FrameEncoder().encode(data: frame, out: &out)
        }
        #expect(out.readableBytes == 0)
    }
}

@Suite("HaveChunksResponse bitmap")
struct PresenceBitmapTests {
    @Test func matchesTheVectorsBitOrder() throws {
        var present = [Bool](repeating: false, count: 10)
        present[0] = true
        present[2] = true
        present[9] = true
        let response = Keep_V1_HaveChunksResponse(present: present)
        #expect(response.presentBitmap == Data([0x05, 0x02]))
        guard case .haveChunksResponse(let fromVector) = try Vectors.envelope("have-chunks-response").body else {
            Issue.record("vector holds another message")
            return
        }
        #expect(fromVector == response)
        #expect((0..<12).map { response.isPresent($0) } == (0..<12).map { [0, 2, 9].contains($0) })
    }
}
