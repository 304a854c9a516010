import Foundation
import SwiftProtobuf

/// What a finished keepctl run printed and returned.
public struct CommandResult: Sendable, CustomStringConvertible {
    public var arguments: [String]
    public var status: Int32
    public var standardOutput: String
    public var standardError: String

    /// Decodes `--json` output: protobuf's JSON mapping of `M` with the .proto field names.
    public func json<M: SwiftProtobuf.Message>(_ type: M.Type) throws -> M {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        do {
            return try M(jsonString: standardOutput, options: options)
        } catch {
            throw TestSupportError("cannot decode \(M.protoMessageName) from keepctl output: \(error)\n\(self)")
        }
    }

    public var description: String {
        "keepctl \(arguments.joined(separator: " ")) → exit \(status)\n--- stdout\n\(standardOutput)"
            + "\n--- stderr\n\(standardError)"
    }
}
