import ArgumentParser
import Foundation
import KeepCore
import Testing

@testable import KeepCommands

@Suite("keepctl's command line: completions and the report command's options")
struct CompletionScriptTests {
    @Test(
        "completion scripts for bash, zsh and fish name keepctl's subcommands and report's formats",
        arguments: CompletionShell.allCases)
    func completionScripts(shell: CompletionShell) {
        let script = Keepctl.completionScript(for: shell)
        let words = ["backup", "sets", "snapshots", "inventory", "report", "verify", "pki", "pool", "markdown"]
        // Compared as a Bool so a failure names the word rather than dumping the whole script.
        for word in words {
            let mentioned = script.contains(word)
            #expect(mentioned, "the \(shell) script does not mention \(word)")
        }
    }

    @Test("report parses its options and rejects an unknown format")
    func reportOptions() throws {
        let command = try #require(
            try Keepctl.parseAsRoot(["report", "--pool", "fe-01", "--format", "html", "--out", "r.html"])
                as? ReportCommand)
        #expect(command.pool == "fe-01" && command.format == .html && command.out == "r.html" && command.set == nil)
        #expect(throws: (any Error).self) { try Keepctl.parseAsRoot(["report", "--pool", "fe-01", "--format", "pdf"]) }
    }

    @Test("--out replaces a file atomically and leaves nothing else behind; a missing directory is an io error")
    func atomicWrite() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "keep-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("fe-01.html").path
        try ReportCommand.write("old", to: path)
        try ReportCommand.write("new report", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new report")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["fe-01.html"])
        #expect {
            try ReportCommand.write("x", to: directory.appendingPathComponent("missing/fe-01.html").path)
        } throws: { error in
            (error as? KeepError)?.code == .io
        }
    }
}
