import ArgumentParser
import Foundation
import KeepCore
import KeepTransport
import SwiftProtobuf

/// Runs one operator command against the controller and maps failures to keepctl's exit codes
/// (3: cannot reach or authenticate; 4: the controller refused the request).
enum Operation {
    static func run<T>(_ options: ConnectionOptions, _ body: (ClientSession) async throws -> T) async throws -> T {
        let session: ClientSession
        do {
            session = try await options.connect()
        } catch {
            Console.error(error)
            throw ExitCode(3)
        }
        do {
            let result = try await body(session)
            await session.close()
            return result
        } catch let exit as ExitCode {
            await session.close()
            throw exit
        } catch {
            await session.close()
            Console.error(error)
            throw ExitCode(4)
        }
    }
}

/// Terminal output helpers.
enum Console {
    static let isTerminal = isatty(STDOUT_FILENO) == 1

    static func error(_ error: any Error) {
        FileHandle.standardError.write(Data("keepctl: error: \(error)\n".utf8))
    }

    /// Prints a message as protobuf JSON (the documented `--json` shape).
    static func json(_ message: some SwiftProtobuf.Message) throws {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        print(try message.jsonString(options: options))
    }

    /// Prints rows under headers with aligned columns.
    static func table(_ headers: [String], _ rows: [[String]]) {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        print(line(headers))
        for row in rows { print(line(row)) }
    }

    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func time(_ unix: Int64) -> String { unix == 0 ? "-" : UTCStamp.readable(unix) }

    static func ago(_ unix: Int64) -> String {
        let seconds = max(0, Clock.unixSeconds() - unix)
        switch seconds {
        case ..<60: return "\(seconds)s ago"
        case ..<3600: return "\(seconds / 60)m ago"
        case ..<86400: return "\(seconds / 3600)h ago"
        default: return "\(seconds / 86400)d ago"
        }
    }
}
