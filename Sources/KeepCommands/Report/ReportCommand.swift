import ArgumentParser
import Foundation
import KeepCore
import KeepProtocol
import KeepTransport

/// `keepctl report`: documentation of a pool's existing systems from the inventories taken with its
/// backups, to attach to a change before a migration or an upgrade.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Document the existing systems of a pool (Markdown or HTML).",
        discussion: """
            For each host of the pool, from the inventories of a backup set (or of each host's newest \
            snapshot): OS, kernel, CPU, memory, filesystems, network, packages, active or enabled services, \
            the human and application accounts homed there, and what the backup holds. A pool summary comes \
            first. The HTML is one self-contained file (no scripts, no external assets) that also prints well.

            Examples:
              keepctl report --pool fe-01 --format html --out fe-01.html
              keepctl report --pool fe-01 --set set-20261121T202412-3fa9c1 > fe-01.md
            """)

    @Option(help: "The pool.") var pool: String
    @Option(help: "Take the inventories of this backup set (default: the newest snapshot of each host).")
    var set: String?
    @Option(help: "The document format.") var format: ReportFormat = .markdown
    @Option(help: "Write the report to this file (atomically) instead of standard output.") var out: String?
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let report = try await Operation.run(connection) { session in
            try await fetchReport(from: session)
        }
        guard !report.hosts.isEmpty else {
            let scope = set.map { "backup set \($0) of pool \(pool)" } ?? "pool \(pool)"
            Console.error(
                KeepError(
                    .notFound, "\(scope) has no snapshots", hint: "check the names with keepctl sets --pool \(pool)"))
            throw ExitCode(1)
        }
        let document = format.renderer.render(report)
        guard let out else { return print(document, terminator: "") }
        do {
            try Self.write(document, to: out)
        } catch {
            Console.error(error)
            throw ExitCode(1)
        }
    }

    /// Writes the document atomically (a temporary file in the same directory, then a rename), so a
    /// reader never sees half a report and a failed run leaves an older report intact.
    static func write(_ document: String, to path: String) throws {
        do {
            try Data(document.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw KeepError(
                .io, "cannot write the report", context: path,
                hint: "check that the directory exists and is writable (\(error.localizedDescription))")
        }
    }

    private func fetchReport(from session: ClientSession) async throws -> PoolReport {
        let sets = try await session.request(.listSetsRequest(.with { $0.pool = pool })).listSetsResponse.sets
        let snapshots = try await session.request(
            .listSnapshotsRequest(
                .with {
                    $0.pool = pool
                    $0.setID = set ?? ""
                })
        ).listSnapshotsResponse.snapshots
        var inventories: [InventoryKind: [Keep_V1_HostInventory]] = [:]
        for kind in InventoryKind.allCases {
            inventories[kind] = try await session.request(
                .inventoryRequest(
                    .with {
                        $0.kind = kind.rawValue
                        $0.pool = pool
                        $0.setID = set ?? ""
                    })
            ).inventoryResponse.inventories
        }
        return PoolReport(
            pool: pool, requestedSetID: set, sets: sets, snapshots: snapshots, inventories: inventories,
            generated: Clock.unixSeconds())
    }
}
