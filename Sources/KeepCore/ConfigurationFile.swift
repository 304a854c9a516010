import Foundation
import Yams

/// Reading YAML configuration files with errors that name the file and the problem.
public enum ConfigurationFile {
    public static func decode<T: Decodable>(path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeepError(.configuration, "cannot read the configuration file", context: path, hint: "check the path and its permissions")
        }
        do {
            return try YAMLDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw KeepError(.configuration, "invalid configuration: \(describe(error))", context: path)
        } catch {
            throw KeepError(.configuration, "invalid YAML: \(error)", context: path)
        }
    }

    /// Resolves a relative path against the configuration file's directory; `~` is not expanded.
    public static func resolve(_ path: String, against base: URL) -> String {
        path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
    }

    private static func describe(_ error: DecodingError) -> String {
        func key(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let missing, let context): return "missing key '\(key(context.codingPath + [missing]))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "bad value at '\(key(context.codingPath))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
