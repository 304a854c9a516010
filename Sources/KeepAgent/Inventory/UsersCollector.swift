import Foundation
import KeepCore

/// Builds the `users` inventory from `/etc/passwd`, `/etc/group` and `/etc/login.defs` below the
/// configured root, plus the accounts an application reports through the configured command.
///
/// An account is `human` when its uid is at least `UID_MIN` (default 1000), it is not `nobody`
/// (65534) and its shell is not a `nologin`/`false` shell; otherwise it is `system`.
public struct UsersCollector: Sendable {
    public var configuration: InventoryConfiguration

    /// A collector reading below `configuration.root`.
    public init(configuration: InventoryConfiguration) {
        self.configuration = configuration
    }

    /// Collects the document; missing files give empty lists, never an error.
    public func collect() -> UsersInventory {
        let groups = Self.parseGroups(configuration.read("/etc/group") ?? "")
        let uidMin = Self.parseUIDMin(configuration.read("/etc/login.defs") ?? "") ?? 1000
        var accounts = Self.parsePasswd(configuration.read("/etc/passwd") ?? "", groups: groups, uidMin: uidMin)
        var unavailable: String?
        if let command = configuration.applicationAccountsCommand {
            do {
                accounts += try applicationAccounts(command)
            } catch {
                unavailable = "application accounts: \(error)"
            }
        }
        return UsersInventory(accounts: accounts, groups: groups, unavailable: unavailable)
    }

    static func parseGroups(_ text: String) -> [UsersInventory.Group] {
        lines(text).compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 4, let gid = UInt32(fields[2]) else { return nil }
            let members = fields[3].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return UsersInventory.Group(name: fields[0], gid: gid, members: members.filter { !$0.isEmpty })
        }
    }

    static func parseUIDMin(_ text: String) -> UInt32? {
        for line in lines(text) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, fields[0] == "UID_MIN", let value = UInt32(fields[1]) { return value }
        }
        return nil
    }

    static func parsePasswd(_ text: String, groups: [UsersInventory.Group], uidMin: UInt32) -> [UsersInventory.Account]
    {
        let groupNames = Dictionary(groups.map { ($0.gid, $0.name) }, uniquingKeysWith: { first, _ in first })
        return lines(text).compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 7, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { return nil }
            let name = fields[0]
            var memberOf = groupNames[gid].map { [$0] } ?? []
            for group in groups where group.members.contains(name) && !memberOf.contains(group.name) {
                memberOf.append(group.name)
            }
            let shell = fields[6]
            let loginShell = !(shell.hasSuffix("/nologin") || shell.hasSuffix("/false") || shell.isEmpty)
            let human = uid >= uidMin && uid != 65534 && loginShell
            return UsersInventory.Account(
                name: name, uid: uid, gid: gid, home: fields[5], shell: shell, groups: memberOf,
                kind: human ? .human : .system, source: "passwd")
        }
    }

    /// Non-empty, non-comment lines.
    static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// What the application command may print for each account; only `name` is required.
    private struct ReportedAccount: Decodable {
        var name: String
        var uid: UInt32?
        var gid: UInt32?
        var home: String?
        var shell: String?
        var groups: [String]?
    }

    private func applicationAccounts(_ command: [String]) throws -> [UsersInventory.Account] {
        let runner = CommandRunner(searchPath: configuration.searchPath, timeout: configuration.commandTimeout)
        let output = try runner.run(command)
        let reported: [ReportedAccount]
        do {
            reported = try JSONDecoder().decode([ReportedAccount].self, from: Data(output.utf8))
        } catch {
            throw CommandRunner.Failure(
                description: "\(command.first ?? "command") did not print a JSON array of accounts")
        }
        let source = command.joined(separator: " ")
        return reported.map {
            UsersInventory.Account(
                name: $0.name, uid: $0.uid, gid: $0.gid, home: $0.home, shell: $0.shell, groups: $0.groups ?? [],
                kind: .application, source: source)
        }
    }
}
