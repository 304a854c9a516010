import ArgumentParser
import KeepCore

/// `keepctl`: the operator's command line.
public struct Keepctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "keepctl",
        abstract: "Operate a Keep fleet: back up pools, browse and verify backups, read inventories, manage the PKI.",
        discussion: """
            keepctl talks to keep-controller over mutual TLS with an operator certificate. Connection settings
            come from --controller/--cert/--key/--ca, the KEEP_CONTROLLER/KEEP_CERT/KEEP_KEY/KEEP_CA variables,
            or a keepctl.yaml file (--config, $KEEP_CONFIG, ~/.config/keep/keepctl.yaml).

            Shell completions: keepctl --generate-completion-script bash|zsh|fish
            (e.g. > /etc/bash_completion.d/keepctl).

            Exit status: 0 success; 1 a job finished with failed or offline hosts, or verify found damage;
            2 usage error; 3 cannot reach or authenticate to the controller; 4 the controller refused the request.
            """,
        version: KeepVersion.current,
        subcommands: [
            AgentsCommand.self, BackupCommand.self, SetsCommand.self, SnapshotsCommand.self, LsCommand.self,
            RestoreCommand.self, RollbackCommand.self, DiffCommand.self, InventoryCommand.self, ReportCommand.self,
            VerifyCommand.self, PruneCommand.self, JobsCommand.self, PKICommand.self,
        ]
    )

    public init() {}
}
