import ArgumentParser

/// `keepctl pki`: runs Keep's small certificate authority — creates it, issues agent, operator and
/// controller certificates, revokes them and lists what was issued.
public struct PKICommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Manage Keep's certificate authority and the certificates of agents, operators and controllers.",
        subcommands: [
            PKIInitCommand.self, PKIIssueCommand.self, PKIRevokeCommand.self, PKIListCommand.self,
            PKIRevocationListCommand.self,
        ]
    )

    public init() {}
}

/// The option every `keepctl pki` subcommand shares.
public struct PKIOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The PKI directory.", valueName: "dir"))
    public var dir: String = "./pki"

    public init() {}
}
