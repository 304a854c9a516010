import ArgumentParser
import KeepCore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that backups are complete and intact.",
        discussion: """
            Without --read-data: every object the snapshots reference is indexed and its pack exists.
            With --read-data: every object is read, decrypted and hashed. Each damaged object is listed
            with the snapshots it affects; the exit status is then 1.

            Examples:
              keepctl verify
              keepctl verify --set set-20261121T202412-3fa9c1 --read-data
            """)

    @Option(help: "Only the snapshots of this backup set.") var set: String?
    @Option(help: "Only the snapshots of this host.") var host: String?
    @Flag(help: "Read, decrypt and re-hash every object.") var readData = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let response = try await Operation.run(connection) { session in
            try await session.request(
                .verifyRequest(
                    .with {
                        $0.setID = set ?? ""
                        $0.host = host ?? ""
                        $0.readData = readData
                    })
            ).verifyResponse
        }
        if output.json {
            try Console.json(response)
        } else {
            print("checked \(response.objectsChecked) objects (\(Console.bytes(response.bytesChecked)) read)")
            if response.damage.isEmpty {
                print("no damage found")
            } else {
                Console.table(
                    ["OBJECT", "PROBLEM", "AFFECTED SNAPSHOTS"],
                    response.damage.map { damage in
                        [Hex.encode(damage.objectID).prefix(16) + "…", damage.problem, damage.affectedSnapshots.joined(separator: ", ")]
                    })
            }
        }
        if !response.damage.isEmpty { throw ExitCode(1) }
    }
}
