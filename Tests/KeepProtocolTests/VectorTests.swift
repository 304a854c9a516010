import KeepCore
import KeepProtocol
import NIOCore
import Testing

@Suite("Protocol/vectors")
struct VectorTests {
    static let control = [
        "hello", "welcome", "heartbeat", "error-version-mismatch", "list-agents-request", "have-chunks-response",
        "goodbye",
    ]
    static let chunks = ["chunk-data-none", "chunk-tree-zstd"]
    static let invalid: [String: ProtocolError] = [
        "invalid-too-long": .frameTooLarge(length: 65_537, maximum: 65_536),
        "invalid-unknown-kind": .unknownFrameKind(0x7f),
        "invalid-empty": .emptyFrame,
        "invalid-truncated": .truncatedFrame(received: 8, expected: 14),
        "invalid-chunk-reserved": .malformedChunkHeader("reserved field is 0x1, must be 0"),
        "invalid-chunk-length": .malformedChunkHeader("uncompressed payload has 16 bytes, header says 17"),
    ]

    @Test func everyVectorIsChecked() throws {
        let checked = Set(Self.control + Self.chunks + Self.invalid.keys + ["invalid-control-protobuf"])
        #expect(try Vectors.allNames() == checked)
    }

    @Test(arguments: control)
    func controlVectorDecodesToItsDescriptionAndReencodesExactly(name: String) throws {
        let bytes = try Vectors.bytes(name)
        let expected = try Vectors.envelope(name)
        let frames = try decodeStream(bytes)
        #expect(frames == [.control(expected)])
        #expect(try frames.first?.bytes == bytes)
        #expect(try Frame.control(expected).bytes == bytes)
    }

    @Test func helloVectorCarriesTheAgentsClaims() throws {
        let envelope = try Vectors.envelope("hello")
        guard case .hello(let hello) = envelope.body else {
            Issue.record("hello.txtpb holds \(String(describing: envelope.body))")
            return
        }
        #expect(envelope.requestID == 0)
        #expect(hello.role == .agent)
        #expect(hello.hostID == "web-01")
        #expect(hello.pool == "fe-01")
        #expect(hello.maxFrameLength == 16 * 1_048_576)
    }

    @Test func uncompressedChunkVector() throws {
        let bytes = try Vectors.bytes("chunk-data-none")
        let frames = try decodeStream(bytes)
        guard frames.count == 1, case .chunk(let chunk) = frames[0] else {
            Issue.record("expected one chunk frame, got \(frames)")
            return
        }
        #expect(chunk.id.hex == "306d659d609a430c60bbc5f1c52f9359df0b1c6854799b737df548e8e6a561de")
        #expect(chunk.type == .data)
        #expect(chunk.compression == ObjectTypeAndCompression.none)
        #expect(chunk.plaintextLength == 16)
        #expect(String(buffer: chunk.payload) == "keep test chunk\n")
        #expect(try frames[0].bytes == bytes)
    }

    @Test func compressedTreeVector() throws {
        let bytes = try Vectors.bytes("chunk-tree-zstd")
        let frames = try decodeStream(bytes)
        guard frames.count == 1, case .chunk(let chunk) = frames[0] else {
            Issue.record("expected one chunk frame, got \(frames)")
            return
        }
        #expect(chunk.type == .tree)
        #expect(chunk.compression == .zstd)
        #expect(chunk.plaintextLength == 1000)
        #expect(chunk.payload.readableBytes == bytes.count - 5 - ChunkFrame.headerLength)
        #expect(try frames[0].bytes == bytes)
    }

    @Test func allValidVectorsDecodeAsOneStream() throws {
        let names = Self.control + Self.chunks
        let stream = try names.flatMap { try Vectors.bytes($0) }
        let frames = try decodeStream(stream)
        #expect(frames.count == names.count)
        #expect(try frames.flatMap { try $0.bytes } == stream)
    }

    @Test(arguments: invalid.keys.sorted())
    func invalidVectorIsRefusedWithItsTypedError(name: String) throws {
        let bytes = try Vectors.bytes(name)
        let expected = try #require(Self.invalid[name])
        #expect(throws: expected) {
            _ = try decodeStream(bytes)
        }
    }

    @Test func malformedProtobufIsAMalformedControlError() throws {
        let bytes = try Vectors.bytes("invalid-control-protobuf")
        do {
            _ = try decodeStream(bytes)
            Issue.record("a cut-short Envelope was accepted")
        } catch let error as ProtocolError {
            guard case .malformedControl = error.kind else {
                Issue.record("expected malformedControl, got \(error)")
                return
            }
            #expect(error.keepError.code == .protocolViolation)
        }
    }
}

/// `Compression.none` clashes with `Optional.none` inside `#expect`; spell it out once.
enum ObjectTypeAndCompression {
    static let none = Compression.none
}
