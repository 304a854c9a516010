import ArgumentParser
import Foundation
import KeepTransport
import NIOPosix

/// Where the two ends run.
enum BenchTopology: String, ExpressibleByArgument, CaseIterable {
    /// Receiver in a child process, sender in this one: two processes, as agent and controller would be.
    case processes
    /// Both in this process, each on its own single-thread event loop group.
    case threads
}

/// Runs one transfer per transport and prints a line for each.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Send the transfer over each transport and print MB/s (1 MB = 10^6 bytes).")

    @Option(name: .customLong("transport"), help: "tls or tcp; repeat for several (default: tcp, then tls).")
    var transports: [BenchTransport] = [.tcp, .tls]

    @Option(help: "processes (receiver in a child process) or threads (one process, two event loop groups).")
    var topology: BenchTopology = .processes

    @Flag(help: "Print tab-separated values: transport, MB/s, seconds, sender CPU s, receiver CPU s.")
    var tsv = false

    @OptionGroup var transfer: TransferOptions

    func run() async throws {
        MemoryTuning.apply(for: .agent)  // the sender is an agent
        let temporary = transfer.pki == nil ? NSTemporaryDirectory() + "keep-bench-pki-\(getpid())" : nil
        defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
        guard let path = transfer.pki ?? temporary else { return }
        let pki = try BenchPKI.prepare(at: path)
        if !tsv {
            Output.line("\(transfer.frameCount) CHUNK frames of \(transfer.frameSize) over 127.0.0.1, \(topology)")
        }
        for transport in transports {
            let (sender, receiver) = try await measure(transport, pki: pki, path: path)
            let megabytesPerSecond = Double(receiver.payloadBytes) / receiver.seconds / 1e6
            if tsv {
                Output.line(
                    "\(transport.rawValue)\t\(Self.fixed(megabytesPerSecond, 0))\t\(Self.fixed(receiver.seconds, 3))"
                        + "\t\(Self.fixed(sender.cpuSeconds, 2))\t\(Self.fixed(receiver.cpuSeconds, 2))")
            } else {
                Output.line(
                    "\(transport.rawValue): \(Self.fixed(megabytesPerSecond, 0)) MB/s "
                        + "(\(Self.fixed(receiver.seconds, 3)) s; CPU sender \(Self.fixed(sender.cpuSeconds, 2)) s, "
                        + "receiver \(Self.fixed(receiver.cpuSeconds, 2)) s)")
            }
        }
    }

    /// One transfer; returns what the sender and the receiver measured.
    private func measure(_ transport: BenchTransport, pki: BenchPKI, path: String) async throws
        -> (sender: EndReport, receiver: EndReport)
    {
        let transfer = self.transfer
        let frames = BenchTransfer.makeFrames(options: transfer)
        switch topology {
        case .processes:
            let child = try ReceiverProcess(transport: transport, transfer: transfer, pki: path)
            defer { child.terminate() }
            let port = try child.port()
            let channel = try await BenchClient.connect(
                transport, port: port, pki: pki, group: MultiThreadedEventLoopGroup.singleton)
            let sender = try await BenchTransfer.send(frames, on: channel, options: transfer)
            return (sender, try child.report())
        case .threads:
            let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let result: Result<(EndReport, EndReport), any Error>
            do {
                result = .success(try await measureInProcess(transport, pki: pki, groups: (serverGroup, clientGroup)))
            } catch {
                result = .failure(error)
            }
            try await serverGroup.shutdownGracefully()
            try await clientGroup.shutdownGracefully()
            return try result.get()
        }
    }

    /// Both ends in this process, each on its own event loop group.
    private func measureInProcess(
        _ transport: BenchTransport, pki: BenchPKI,
        groups: (server: MultiThreadedEventLoopGroup, client: MultiThreadedEventLoopGroup)
    ) async throws -> (sender: EndReport, receiver: EndReport) {
        let transfer = self.transfer
        let frames = BenchTransfer.makeFrames(options: transfer)
        let server = try await BenchServer.bind(transport, pki: pki, group: groups.server)
        async let received = server.withFirstConnection { channel in
            try await BenchTransfer.receive(on: channel, options: transfer)
        }
        let channel = try await BenchClient.connect(transport, port: server.port, pki: pki, group: groups.client)
        let sender = try await BenchTransfer.send(frames, on: channel, options: transfer)
        var receiver = try await received
        // One process: its CPU time is both ends'; the sender's figure carries it, the receiver's is left at 0.
        receiver.cpuSeconds = 0
        return (sender, receiver)
    }

    private static func fixed(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }
}
