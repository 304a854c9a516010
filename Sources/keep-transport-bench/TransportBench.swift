import ArgumentParser

/// Measures how fast Keep's transport moves CHUNK frames over loopback, with and without TLS, so that a change
/// to the TLS handler or the framing can be judged by a number rather than a feeling.
@main
struct TransportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keep-transport-bench",
        abstract: "Push CHUNK frames through Keep's TLS transport (and plain TCP) over loopback; print MB/s.",
        discussion: "Benchmarks/transport.sh builds this in release and prints it beside `openssl speed`.",
        subcommands: [RunCommand.self, ReceiveCommand.self],
        defaultSubcommand: RunCommand.self)
}
