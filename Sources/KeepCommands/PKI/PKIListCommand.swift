import ArgumentParser
import Foundation
import KeepCore
import KeepCrypto

/// `keepctl pki list`: the issued certificates, as a table or as JSON.
public struct PKIListCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List issued certificates.")

    @OptionGroup public var options: PKIOptions

    @Flag(help: "Print the index entries as JSON.")
    public var json = false

    public init() {}

    public func run() throws {
        let index = try PKIDirectory(options.dir).loadIndex()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(index.certificates), as: UTF8.self))
        } else {
            print(Self.table(index.certificates), terminator: "")
        }
    }

    /// Aligned columns: role, name, pool, serial prefix, expiry, revocation.
    static func table(_ entries: [PKIIndex.Entry]) -> String {
        guard !entries.isEmpty else { return "No certificates issued yet.\n" }
        var rows = [["ROLE", "NAME", "POOL", "SERIAL", "EXPIRES", "REVOKED"]]
        for entry in entries {
            rows.append([
                entry.role.rawValue, entry.name, entry.pool ?? "-", String(entry.serial.prefix(12)),
                UTCStamp.readable(entry.notAfter),
                entry.revokedAt.map { "yes " + UTCStamp.readable($0) } ?? (entry.revoked ? "yes" : "no"),
            ])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }
}
