import ArgumentParser
import Foundation
import KeepTransport
import NIOPosix

/// The receiving end in its own process, started by `run`: prints `listening <port>`, takes one connection,
/// decodes every frame, then prints its `EndReport` as one JSON line.
struct ReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive", abstract: "Receive one transfer (started by `run`; not meant for direct use).")

    @Option(help: "tls or tcp.")
    var transport: BenchTransport = .tls

    @OptionGroup var transfer: TransferOptions

    func run() async throws {
        MemoryTuning.apply(for: .controller)  // the receiver is the controller
        guard let path = transfer.pki else { throw ValidationError("receive needs --pki") }
        let pki = try BenchPKI.prepare(at: path)
        let server = try await BenchServer.bind(transport, pki: pki, group: MultiThreadedEventLoopGroup.singleton)
        Output.line("listening \(server.port)")
        let report = try await server.withFirstConnection { channel in
            try await BenchTransfer.receive(on: channel, options: transfer)
        }
        Output.line(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
    }
}

/// Unbuffered lines on standard output, so a parent reading the pipe sees them at once.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
