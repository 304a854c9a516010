import Foundation

/// A scratch directory for one deployment test: fake programs, a fake PKI and an install root, plus
/// helpers to run the scripts of `Deploy/` and look at what they left behind.
final class DeployFixture {
    /// What a script did: exit status and both output streams.
    struct Outcome {
        var status: Int32
        var output: String
        var errors: String
    }

    /// One file or directory of a tree: enough to tell whether anything changed.
    struct Entry: Equatable, CustomStringConvertible {
        var mode: Int
        var size: Int
        var modified: Date
        var description: String { "mode \(String(mode, radix: 8)) size \(size) mtime \(modified)" }
    }

    /// The repository's `Deploy/` directory, found from this file's path.
    static let deployDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Deploy").path

    let base: String
    var root: String { base + "/root" }
    var binaries: String { base + "/bin" }
    var pki: String { base + "/pki" }

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("keep-deploy-\(UUID().uuidString)").path
        let manager = FileManager.default
        for directory in [root, binaries, pki + "/controllers", pki + "/agents"] {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        for program in ["keep-controller", "keep-agent", "keepctl"] {
            try write("#!/bin/sh\necho \(program)\n", to: binaries + "/" + program, mode: 0o755)
        }
        // The scripts copy certificates, they do not parse them: distinct text per file is enough.
        for file in [
            "ca.pem", "crl.pem", "controllers/keep.example.com.pem", "controllers/keep.example.com.key",
            "agents/web-01.pem", "agents/web-01.key",
        ] {
            try write("fake \(file)\n", to: pki + "/" + file, mode: 0o600)
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: base)
    }

    func write(_ text: String, to path: String, mode: Int) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    /// Runs the bash script `Deploy/<script>` (or the one at `script`, if it is a path) with `arguments`.
    func run(_ script: String, _ arguments: [String]) throws -> Outcome {
        let path = script.hasPrefix("/") ? script : Self.deployDirectory + "/" + script
        return try execute("/bin/bash", [path] + arguments)
    }

    /// Runs a program and waits for it.
    func execute(_ program: String, _ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        // Files rather than pipes: a chatty script can never block on a full pipe.
        let outputPath = base + "/stdout"
        let errorsPath = base + "/stderr"
        try Data().write(to: URL(fileURLWithPath: outputPath))
        try Data().write(to: URL(fileURLWithPath: errorsPath))
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath))
        defer {
            try? output.close()
            try? errors.close()
        }
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let read = { (path: String) in
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }
        return Outcome(status: process.terminationStatus, output: read(outputPath), errors: read(errorsPath))
    }

    /// The target path `path` (e.g. `/etc/keep`) inside the install root.
    func installed(_ path: String) -> String { root + path }

    /// The permission bits of an installed path, or nil if it is missing.
    func mode(_ path: String) -> Int? {
        let attributes = try? FileManager.default.attributesOfItem(atPath: installed(path))
        return (attributes?[.posixPermissions] as? NSNumber)?.intValue
    }

    func contents(_ path: String) -> String? {
        FileManager.default.contents(atPath: installed(path)).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: installed(path)) }

    /// Every path below the install root with its mode, size and modification time.
    func tree() throws -> [String: Entry] {
        var entries: [String: Entry] = [:]
        let manager = FileManager.default
        for relative in try manager.subpathsOfDirectory(atPath: root) {
            let attributes = try manager.attributesOfItem(atPath: root + "/" + relative)
            entries["/" + relative] = Entry(
                mode: (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1,
                size: (attributes[.size] as? NSNumber)?.intValue ?? -1,
                modified: attributes[.modificationDate] as? Date ?? .distantPast)
        }
        return entries
    }

    /// `install-controller.sh` into the root, without the keep user and without systemctl.
    func installController(_ extra: [String] = []) throws -> Outcome {
        try run(
            "install-controller.sh",
            ["--root", root, "--no-user", "--binary-dir", binaries, "--pki", pki, "--name", "keep.example.com"]
                + extra)
    }

    /// `install-agent.sh` into the root for web-01 in pool fe-01.
    func installAgent(_ extra: [String] = []) throws -> Outcome {
        try run(
            "install-agent.sh",
            [
                "--root", root, "--binary-dir", binaries, "--pki", pki, "--host", "web-01", "--pool", "fe-01",
                "--controller", "keep.example.com:7443",
            ] + extra)
    }
}
