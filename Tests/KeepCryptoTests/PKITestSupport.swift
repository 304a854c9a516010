import Foundation
import KeepCommands
import KeepCore

@testable import KeepCrypto

/// Helpers shared by the PKI test suites.
enum PKITestSupport {
    static let day: Int64 = 86400

    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    /// Runs `body` with a fresh directory under the system's temporary directory, removed afterwards.
    static func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keep-pki-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    /// Parses `arguments` as `keepctl pki …` would and runs the command.
    static func keepctlPKI(_ arguments: [String]) throws {
        var command = try PKICommand.parseAsRoot(arguments)
        try command.run()
    }

    /// Permission bits of `path`.
    static func mode(of path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Runs the openssl CLI; returns its exit status and combined output.
    static func openssl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// A CA and an agent certificate issued by it, valid from now - 5 min for 10 days.
    static func agentCertificate(
        _ authority: CertificateAuthority, host: String = "web-01", pool: String = "fe-01", notBefore: Int64? = nil,
        notAfter: Int64? = nil
    ) throws -> Certificate {
        let key = try PrivateKey.generateP256()
        return try authority.issue(
            for: PeerIdentity(role: .agent, name: host, pool: pool), publicKeyOf: key,
            notBefore: notBefore ?? now - 300, notAfter: notAfter ?? now + 10 * day)
    }
}
