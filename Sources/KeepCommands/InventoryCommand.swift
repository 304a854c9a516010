import ArgumentParser
import Foundation
import KeepCore

struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Read the inventories taken with the snapshots.",
        subcommands: [UsersCommand.self, ShowCommand.self])

    struct UsersCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "users",
            abstract: "The user accounts homed on each host of a pool.",
            discussion: """
                From the newest snapshot of each host, or from the snapshots of one backup set.

                Examples:
                  keepctl inventory users --pool fe-01
                  keepctl inventory users --pool fe-01 --set set-20261121T202412-3fa9c1 --all-accounts
                """)

        @Option(help: "The pool.") var pool: String
        @Option(help: "Take the inventories of this backup set.") var set: String?
        @Flag(help: "Also list system accounts.") var allAccounts = false
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let response = try await Operation.run(connection) { session in
                try await session.request(
                    .inventoryRequest(
                        .with {
                            $0.kind = "users"
                            $0.pool = pool
                            $0.setID = set ?? ""
                        })
                ).inventoryResponse
            }
            if output.json { return try Console.json(response) }
            var rows: [[String]] = []
            for host in response.inventories {
                guard let users = try? JSONDecoder().decode(UsersInventory.self, from: host.json) else {
                    rows.append(["?", "", "", "", "", host.hostID, "unreadable inventory"])
                    continue
                }
                for account in users.accounts where allAccounts || account.kind != .system {
                    rows.append([
                        account.name, account.uid.map { String($0) } ?? "-", account.kind.rawValue, account.home ?? "-",
                        account.shell ?? "-", host.hostID,
                        account.groups.joined(separator: ","),
                    ])
                }
            }
            rows.sort { ($0[0], $0[5]) < ($1[0], $1[5]) }
            Console.table(["USER", "UID", "KIND", "HOME", "SHELL", "HOST", "GROUPS"], rows)
        }
    }

    struct ShowCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print one host's inventory documents (JSON).",
            discussion: """
                Examples:
                  keepctl inventory show --host web-01
                  keepctl inventory show --host web-01 --kind packages --snapshot snap-20261121T202412-3fa9c1
                """)

        @Option(help: "The host.") var host: String
        @Option(help: "A snapshot of that host (default: its newest).") var snapshot: String?
        @Option(help: "users, system, packages or services (default: all).") var kind: [String] = []
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let kinds = kind.isEmpty ? ["system", "users", "packages", "services"] : kind
            let documents = try await Operation.run(connection) { session in
                var documents: [(String, Data)] = []
                for kind in kinds {
                    let response = try await session.request(
                        .inventoryRequest(
                            .with {
                                $0.kind = kind
                                $0.host = host
                                $0.snapshotID = snapshot ?? ""
                            })
                    ).inventoryResponse
                    if let latest = response.inventories.last { documents.append((kind, latest.json)) }
                }
                return documents
            }
            guard !documents.isEmpty else {
                Console.error(KeepError(.notFound, "no inventory for host \(host)", hint: "back it up first"))
                throw ExitCode(1)
            }
            let body = documents.map { "\"\($0.0)\": \(String(decoding: $0.1, as: UTF8.self))" }.joined(separator: ",\n")
            print("{\n\(body)\n}")
        }
    }
}
