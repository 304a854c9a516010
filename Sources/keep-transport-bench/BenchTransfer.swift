import KeepCore
import KeepCrypto
import KeepProtocol
import NIOCore

/// What one end measured over the transfer proper (after the handshake and the ready signal).
struct EndReport: Codable, Sendable {
    var payloadBytes: Int
    var frames: Int
    var seconds: Double
    /// User + system CPU of this end's process over the same interval.
    var cpuSeconds: Double
}

/// The two halves of a transfer. The receiver raises its frame limit, then sends one control frame to say it is
/// ready (as Welcome does in a real session); the sender then writes every CHUNK frame and waits for the receiver
/// to close once it has decoded them all.
enum BenchTransfer {
    /// Distinct payloads rotated by the sender; the first 8 bytes carry the index modulo their count.
    static let payloadVariants = 4

    static func receive(on channel: FrameChannel, options: TransferOptions) async throws -> EndReport {
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(.control(.heartbeat(Keep_V1_Heartbeat())))
            let clock = ContinuousClock()
            let cpuStart = CPUTime.process()
            let start = clock.now
            var payloadBytes = 0
            var frames = 0
            for try await frame in inbound {
                guard case .chunk(let chunk) = frame else { continue }
                let marker = chunk.payload.getInteger(at: chunk.payload.readerIndex, as: UInt64.self)
                guard chunk.payload.readableBytes == options.frameSize.value,
                    marker == UInt64(frames % payloadVariants)
                else {
                    throw KeepError(
                        .integrity, "CHUNK frame \(frames) arrived damaged or out of order",
                        hint: "the transport lost or reordered bytes: this is a bug, not a slow machine")
                }
                payloadBytes += chunk.payload.readableBytes
                frames += 1
                if frames == options.frameCount { break }
            }
            let seconds = Self.seconds(start.duration(to: clock.now))
            guard frames == options.frameCount else {
                throw KeepError(
                    .unavailable, "the sender stopped after \(frames) of \(options.frameCount) frames",
                    hint: "see the sender's error")
            }
            return EndReport(
                payloadBytes: payloadBytes, frames: frames, seconds: seconds,
                cpuSeconds: CPUTime.process() - cpuStart)
        }
    }

    /// The frames the sender rotates through; made before connecting so that the receiver's clock never sees it.
    static func makeFrames(options: TransferOptions) -> [Frame] {
        (0..<payloadVariants).map { makeFrame(variant: $0, size: options.frameSize.value) }
    }

    static func send(_ frames: [Frame], on channel: FrameChannel, options: TransferOptions) async throws -> EndReport {
        try await channel.executeThenClose { inbound, outbound in
            var replies = inbound.makeAsyncIterator()
            guard try await replies.next() != nil else {
                throw KeepError(.unavailable, "the receiver closed before it was ready", hint: "see its error")
            }
            let clock = ContinuousClock()
            let cpuStart = CPUTime.process()
            let start = clock.now
            for index in 0..<options.frameCount {
                try await outbound.write(frames[index % payloadVariants])
            }
            // The receiver closes once it has decoded the last frame: that is when the transfer is done.
            do {
                while try await replies.next() != nil {}
            } catch {
                // An unclean close after the last frame is still the end of a complete transfer.
            }
            return EndReport(
                payloadBytes: options.totalPayload, frames: options.frameCount,
                seconds: Self.seconds(start.duration(to: clock.now)), cpuSeconds: CPUTime.process() - cpuStart)
        }
    }

    private static func makeFrame(variant: Int, size: Int) -> Frame {
        // Incompressible filler; a cheap xorshift, as the system generator costs a syscall per call.
        var state = 0x9E37_79B9_7F4A_7C15 &* UInt64(variant + 1)
        var payload = ByteBufferAllocator().buffer(capacity: size)
        payload.writeInteger(UInt64(variant))
        while payload.readableBytes + 8 <= size {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            payload.writeInteger(state)
        }
        while payload.readableBytes < size { payload.writeInteger(UInt8(truncatingIfNeeded: variant)) }
        let id = payload.withUnsafeReadableBytes { SHA256.hash($0) }
        return .chunk(
            ChunkFrame(id: id, type: .data, compression: .none, plaintextLength: UInt32(size), payload: payload))
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
