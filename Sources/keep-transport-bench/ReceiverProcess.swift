import Foundation
import KeepCore

/// A `receive` child process and the lines it prints.
final class ReceiverProcess {
    private let process = Process()
    private let output = Pipe()
    private var pending = Data()

    init(transport: BenchTransport, transfer: TransferOptions, pki: String) throws {
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = [
            "receive", "--transport", transport.rawValue, "--bytes", String(transfer.bytes.value),
            "--frame-size", String(transfer.frameSize.value), "--pki", pki,
        ]
        process.standardOutput = output
        try process.run()
    }

    /// The port the child listens on, from its first line.
    func port() throws -> Int {
        let line = try nextLine()
        guard line.hasPrefix("listening "), let port = Int(line.dropFirst("listening ".count)) else {
            throw KeepError(.internalError, "the receiver printed \(line) instead of its port", hint: "see its errors")
        }
        return port
    }

    /// Waits for the child to finish and decodes its report.
    func report() throws -> EndReport {
        let line = try nextLine()
        process.waitUntilExit()
        do {
            return try JSONDecoder().decode(EndReport.self, from: Data(line.utf8))
        } catch {
            throw KeepError(
                .internalError, "the receiver printed \(line) instead of its report", hint: "see its errors")
        }
    }

    func terminate() {
        if process.isRunning { process.terminate() }
    }

    private func nextLine() throws -> String {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending = Data(pending[(newline + 1)...])
                return line
            }
            let more = output.fileHandleForReading.availableData
            guard !more.isEmpty else {
                throw KeepError(.unavailable, "the receiver process exited early", hint: "see its errors above")
            }
            pending.append(more)
        }
    }
}
