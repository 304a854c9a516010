import ArgumentParser

/// Which stack carries the frames.
enum BenchTransport: String, ExpressibleByArgument, CaseIterable, Codable {
    /// The real KeepTransport pipeline: TLSHandler, FrameDecoder/FrameEncoder, NIOAsyncChannel.
    case tls
    /// The same framing and async boundary straight on TCP: the ceiling TLS is compared with.
    case tcp
}

/// A byte count given as `1073741824`, `64MiB`, `1GiB` or `512KiB`.
struct ByteCount: ExpressibleByArgument, CustomStringConvertible {
    let value: Int

    init?(argument: String) {
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("", 1)]
        for (suffix, factor) in units where argument.hasSuffix(suffix) {
            guard let number = Int(argument.dropLast(suffix.count)), number > 0 else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: factor)
            guard !overflow else { return nil }
            value = product
            return
        }
        return nil
    }

    init(_ value: Int) { self.value = value }

    var description: String {
        if value % (1 << 30) == 0 { return "\(value >> 30) GiB" }
        if value % (1 << 20) == 0 { return "\(value >> 20) MiB" }
        return "\(value) B"
    }
}

/// What both ends must agree on.
struct TransferOptions: ParsableArguments {
    @Option(help: "Bytes of CHUNK payload to send (e.g. 1GiB, 256MiB).")
    var bytes = ByteCount(1 << 30)

    @Option(help: "Payload bytes per CHUNK frame (at most 4MiB, the protocol's object limit).")
    var frameSize = ByteCount(1 << 20)

    @Option(help: "PKI directory with ca.pem, controllers/127.0.0.1.* and agents/bench.* (made if missing).")
    var pki: String?

    /// Frames to send: the payload rounded up to whole frames.
    var frameCount: Int { (bytes.value + frameSize.value - 1) / frameSize.value }
    var totalPayload: Int { frameCount * frameSize.value }

    func validate() throws {
        guard frameSize.value >= 8, frameSize.value <= 4 << 20 else {
            throw ValidationError("--frame-size must be between 8 bytes and 4MiB")
        }
    }
}
