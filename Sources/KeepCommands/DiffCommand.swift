import ArgumentParser
import KeepCore

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "What changed between two backup sets (host by host) or two snapshots.",
        discussion: """
            Files added, removed and changed (content, type, mode, owner, link target, extended attributes),
            and inventory changes: user accounts and groups, packages, services.

            Examples:
              keepctl diff set-20261121T202412-3fa9c1 set-20261122T080000-77aa01
              keepctl diff set-20261121T202412-3fa9c1 set-20261122T080000-77aa01 --host web-01 --json
              keepctl diff snap-20261121T202412-11aa22 snap-20261122T080000-33bb44
            """)

    @Argument(help: "The older set or snapshot.") var from: String
    @Argument(help: "The newer set or snapshot.") var to: String
    @Option(help: "Only this host (sets only).") var host: String?
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard from.hasPrefix("snap-") == to.hasPrefix("snap-") else {
            throw ValidationError("compare two sets or two snapshots, not one of each")
        }
    }

    func run() async throws {
        let response = try await Operation.run(connection) { session in
            try await session.request(
                .diffRequest(
                    .with {
                        $0.from = from
                        $0.to = to
                        $0.host = host ?? ""
                    })
            ).diffResponse
        }
        if output.json { return try Console.json(response) }
        if response.files.isEmpty && response.inventory.isEmpty {
            print("no differences")
            return
        }
        let marks = ["added": "+", "removed": "-", "changed": "~"]
        for entry in response.files {
            let details = entry.details.isEmpty ? "" : "  (\(entry.details.joined(separator: ", ")))"
            print("\(marks[entry.change] ?? "?") \(entry.hostID) \(entry.path)\(details)")
        }
        if !response.inventory.isEmpty {
            print("")
            Console.table(
                ["HOST", "KIND", "CHANGE", "NAME", "DETAIL"],
                response.inventory.map { [$0.hostID, $0.kind, $0.change, $0.name, $0.detail] })
        }
    }
}
