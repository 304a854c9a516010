import ArgumentParser
import Foundation
import KeepCore
import KeepProtocol

struct LsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "Browse the tree of a snapshot.",
        discussion: """
            Paths are absolute paths of the host at backup time.

            Examples:
              keepctl ls snap-20261121T202412-3fa9c1
              keepctl ls snap-20261121T202412-3fa9c1 /etc/ssh
            """)

    @Argument(help: "The snapshot id (see keepctl snapshots).") var snapshot: String
    @Argument(help: "A directory inside the snapshot.") var path: String = "/"
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let response = try await Operation.run(connection) { session in
            try await session.request(
                .listTreeRequest(
                    .with {
                        $0.snapshotID = snapshot
                        $0.path = path
                    })
            ).listTreeResponse
        }
        if output.json { return try Console.json(response) }
        for entry in response.entries {
            let target = entry.type == .symlink ? " -> \(entry.linkTarget)" : ""
            let owner = (entry.user.isEmpty ? String(entry.uid) : entry.user).padding(toLength: 8, withPad: " ", startingAt: 0)
            let group = (entry.group.isEmpty ? String(entry.gid) : entry.group).padding(toLength: 8, withPad: " ", startingAt: 0)
            let size = String(entry.size)
            let paddedSize = String(repeating: " ", count: max(0, 10 - size.count)) + size
            print("\(Self.modeString(entry)) \(owner) \(group) \(paddedSize) \(Console.time(entry.mtime / 1_000_000_000)) \(entry.name)\(target)")
        }
    }

    /// `drwxr-xr-x`, like ls -l.
    static func modeString(_ entry: Keep_V1_TreeEntryInfo) -> String {
        let type: Character =
            switch entry.type {
            case .directory: "d"
            case .symlink: "l"
            case .charDevice: "c"
            case .blockDevice: "b"
            case .fifo: "p"
            case .socket: "s"
            default: "-"
            }
        let mode = entry.mode
        var text = [type]
        let letters: [Character] = ["r", "w", "x"]
        for shift in stride(from: 6, through: 0, by: -3) {
            for (index, letter) in letters.enumerated() {
                text.append(mode >> UInt32(shift + 2 - index) & 1 == 1 ? letter : "-")
            }
        }
        if mode & 0o4000 != 0 { text[3] = text[3] == "x" ? "s" : "S" }
        if mode & 0o2000 != 0 { text[6] = text[6] == "x" ? "s" : "S" }
        if mode & 0o1000 != 0 { text[9] = text[9] == "x" ? "t" : "T" }
        return String(text)
    }
}
