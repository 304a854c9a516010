import KeepCore
import KeepProtocol
import NIOCore
import Testing

@Suite("FrameDecoder")
struct FrameDecoderTests {
    static let chunkID = ChunkID(bytes: [UInt8](repeating: 0xab, count: 32))

    static func heartbeat(_ millis: Int64, requestID: UInt64 = 0) -> Frame {
        .control(requestID: requestID, .heartbeat(.with { $0.unixMillis = millis }))
    }

    static func chunk(_ text: String) throws -> Frame {
        let id = try #require(chunkID)
        return .chunk(
            ChunkFrame(
                id: id, type: .data, compression: .none, plaintextLength: UInt32(text.utf8.count),
                payload: ByteBuffer(string: text)
            )
        )
    }

    @Test func decodesFramesFedOneByteAtATime() throws {
        let frames = [Self.heartbeat(1), try Self.chunk("abc"), Self.heartbeat(2, requestID: 9)]
        let stream = try frames.flatMap { try $0.bytes }
        var decoder = FrameDecoder(limits: FrameLimits())
        var buffer = ByteBuffer()
        var decoded: [Frame] = []
        var completedAt: [Int] = []
        for (index, byte) in stream.enumerated() {
            buffer.writeInteger(byte)
            while let frame = try decoder.decode(buffer: &buffer) {
                decoded.append(frame)
                completedAt.append(index + 1)
            }
        }
        #expect(decoded == frames)
        // Each frame is produced exactly when its last byte arrives, never earlier.
        var ends: [Int] = []
        var total = 0
        for frame in frames {
            total += try frame.bytes.count
            ends.append(total)
        }
        #expect(completedAt == ends)
        #expect(buffer.readableBytes == 0)
    }

    @Test func decodesManyFramesFromOneBuffer() throws {
        let frames = try (0..<500).map { index in
            index % 3 == 0 ? try Self.chunk(String(repeating: "x", count: index)) : Self.heartbeat(Int64(index))
        }
        let stream = try frames.flatMap { try $0.bytes }
        #expect(try decodeStream(stream) == frames)
    }

    @Test func refusesAnOversizedLengthFromTheHeaderAlone() throws {
        var decoder = FrameDecoder(limits: FrameLimits())
        var buffer = ByteBuffer(bytes: [0x00, 0x01, 0x00, 0x01])
        #expect(throws: ProtocolError.frameTooLarge(length: 65_537, maximum: 65_536)) {
            _ = try decoder.decode(buffer: &buffer)
        }
        // Nothing was consumed or waited for: the error came from 4 bytes.
        #expect(buffer.readableBytes == 4)
    }

    @Test func refusesAHugeLengthWithoutAllocating() throws {
        var decoder = FrameDecoder(limits: FrameLimits(maximumFrameLength: ProtocolLimits.defaultMaximumFrameLength))
        var buffer = ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff, 0x02])
        #expect(throws: ProtocolError.frameTooLarge(length: 0xffff_ffff, maximum: 16 * 1_048_576)) {
            _ = try decoder.decode(buffer: &buffer)
        }
    }

    @Test func acceptsAFrameOfExactlyTheMaximum() throws {
        let limits = FrameLimits(maximumFrameLength: 100)
        var envelope = Keep_V1_Envelope()
        envelope.body = .goodbye(.with { $0.reason = "" })
        // Grow the reason until the frame's length field is exactly 100.
        var frame = Frame.control(envelope)
        var reason = ""
        while try frame.bytes.count - 4 < 100 {
            reason += "r"
            frame = .control(.goodbye(.with { $0.reason = reason }))
        }
        #expect(try frame.bytes.count - 4 == 100)
        #expect(try decodeStream(frame.bytes, limits: limits) == [frame])
        reason += "r"
        let tooBig = Frame.control(.goodbye(.with { $0.reason = reason }))
        #expect(throws: ProtocolError.frameTooLarge(length: 101, maximum: 100)) {
            _ = try decodeStream(tooBig.bytes, limits: limits)
        }
    }

    @Test func raisingTheSharedLimitAdmitsBiggerFrames() throws {
        let limits = FrameLimits()
        let big = try Self.chunk(String(repeating: "k", count: 1_048_576))
        #expect(throws: ProtocolError.frameTooLarge(length: 1_048_576 + 41, maximum: 65_536)) {
            _ = try decodeStream(big.bytes, limits: limits)
        }
        limits.maximumFrameLength = ProtocolLimits.minimumNegotiatedFrameLength
        #expect(try decodeStream(big.bytes, limits: limits) == [big])
    }

    @Test func largestObjectFitsTheSmallestNegotiableFrame() throws {
        let limits = FrameLimits(maximumFrameLength: ProtocolLimits.minimumNegotiatedFrameLength)
        let largest = try Self.chunk(String(repeating: "z", count: ProtocolLimits.maximumObjectLength))
        #expect(try decodeStream(largest.bytes, limits: limits).count == 1)
    }

    @Test func truncatedFrameAtEndOfStreamIsAnError() throws {
        let bytes = try Self.heartbeat(5).bytes
        for cut in 1..<bytes.count {
            #expect(throws: ProtocolError.truncatedFrame(received: cut, expected: cut < 4 ? 4 : bytes.count)) {
                _ = try decodeStream(Array(bytes.prefix(cut)))
            }
        }
    }

    @Test func emptyStreamAtEndIsClean() throws {
        #expect(try decodeStream([]).isEmpty)
    }

    @Test func zeroLengthIsAnEmptyFrameError() {
        #expect(throws: ProtocolError.emptyFrame) { _ = try decodeStream([0, 0, 0, 0]) }
    }

    @Test(arguments: [UInt8(0x00), 0x03, 0x7f, 0xff])
    func unknownKindIsRefusedBeforeThePayloadArrives(kind: UInt8) {
        var decoder = FrameDecoder(limits: FrameLimits())
        var buffer = ByteBuffer(bytes: [0x00, 0x00, 0x01, 0x00, kind])
        #expect(throws: ProtocolError.unknownFrameKind(kind)) { _ = try decoder.decode(buffer: &buffer) }
    }

    @Test func chunkHeaderShorterThan40BytesIsMalformed() throws {
        var bytes: [UInt8] = [0, 0, 0, 40, 0x02]
        bytes += [UInt8](repeating: 0, count: 39)
        #expect(throws: ProtocolError.malformedChunkHeader("header needs 40 bytes, frame has 39")) {
            _ = try decodeStream(bytes)
        }
    }

    @Test func unknownObjectTypeAndCompressionAreMalformed() throws {
        let good = try Self.chunk("abc").bytes
        var badType = good
        badType[5 + 32] = 2
        #expect(throws: ProtocolError.malformedChunkHeader("unknown object type 2")) { _ = try decodeStream(badType) }
        var badCompression = good
        badCompression[5 + 33] = 9
        #expect(throws: ProtocolError.malformedChunkHeader("unknown compression 9")) {
            _ = try decodeStream(badCompression)
        }
    }

    @Test func plaintextLengthAboveTheObjectMaximumIsMalformed() throws {
        var header: [UInt8] = [0, 0, 0, 42, 0x02] + [UInt8](repeating: 1, count: 32) + [0, 1, 0, 0]
        header += [0x00, 0x40, 0x00, 0x01]  // 4 MiB + 1
        header += [0x28, 0xb5]
        #expect(throws: ProtocolError.malformedChunkHeader("plaintext length 4194305 exceeds 4194304")) {
            _ = try decodeStream(header)
        }
    }

    @Test func compressedChunkMustCarryBytes() throws {
        let bytes: [UInt8] = [0, 0, 0, 41, 0x02] + [UInt8](repeating: 1, count: 32) + [0, 1, 0, 0, 0, 0, 0, 5]
        #expect(throws: ProtocolError.malformedChunkHeader("compressed payload is empty")) {
            _ = try decodeStream(bytes)
        }
    }

    @Test func emptyEnvelopeFromANewerPeerDecodes() throws {
        // An Envelope whose only field is unknown to this schema (field 999, varint 1).
        let payload: [UInt8] = [0xb8, 0x3e, 0x01]
        let bytes: [UInt8] = [0, 0, 0, UInt8(payload.count + 1), 0x01] + payload
        let frames = try decodeStream(bytes)
        guard case .control(let envelope) = frames.first else {
            Issue.record("expected a control frame")
            return
        }
        #expect(envelope.body == nil)
    }
}
