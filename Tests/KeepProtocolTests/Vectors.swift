import Foundation
import KeepCore
import KeepProtocol
import NIOCore

/// Access to `Protocol/vectors/`, found from this file's path so the tests need no resources.
enum Vectors {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/vectors")

    /// The bytes of `<name>.hex`: hex digits, with whitespace and `#` comments ignored.
    static func bytes(_ name: String) throws -> [UInt8] {
        let text = try String(contentsOf: directory.appendingPathComponent("\(name).hex"), encoding: .utf8)
        let digits = text.split(separator: "\n")
            .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
            .joined()
            .filter { !$0.isWhitespace }
        guard let bytes = Hex.decode(digits) else { throw VectorError.badHex(name) }
        return bytes
    }

    /// The envelope described by `<name>.txtpb`.
    static func envelope(_ name: String) throws -> Keep_V1_Envelope {
        let text = try String(contentsOf: directory.appendingPathComponent("\(name).txtpb"), encoding: .utf8)
        return try Keep_V1_Envelope(textFormatString: text)
    }

    /// Every vector name in the directory (files ending in `.hex`, without the extension).
    static func allNames() throws -> Set<String> {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return Set(files.filter { $0.hasSuffix(".hex") }.map { String($0.dropLast(4)) })
    }

    enum VectorError: Error { case badHex(String) }
}

/// Decodes a whole stream the way `ByteToMessageHandler` does at end of file.
func decodeStream(_ bytes: [UInt8], limits: FrameLimits = FrameLimits()) throws -> [Frame] {
    var decoder = FrameDecoder(limits: limits)
    var buffer = ByteBuffer(bytes: bytes)
    var frames: [Frame] = []
    while let frame = try decoder.decode(buffer: &buffer) { frames.append(frame) }
    while let frame = try decoder.decodeLast(buffer: &buffer, seenEOF: true) { frames.append(frame) }
    return frames
}

extension Frame {
    var bytes: [UInt8] {
        get throws { Array(try encoded().readableBytesView) }
    }
}
