import ArgumentParser
import KeepCore
import KeepCrypto

/// `keepctl pki issue`: groups the per-role issue commands.
public struct PKIIssueCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "issue", abstract: "Issue a certificate and key for a controller, an agent or an operator.",
        subcommands: [PKIIssueControllerCommand.self, PKIIssueAgentCommand.self, PKIIssueOperatorCommand.self])

    public init() {}
}

/// Options of every issue command besides `--dir`.
public struct PKIIssueOptions: ParsableArguments {
    @Flag(help: "Replace an existing certificate for the same name (the old one is revoked).")
    public var force = false

    public init() {}
}

/// What every issue command prints: the files written and what to do with them.
enum PKIIssueReport {
    static func print(_ issued: PKIDirectory.IssuedCertificate, in directory: PKIDirectory, next: String) {
        let certificate = issued.certificate
        let identity = certificate.identity.map(\.description) ?? certificate.subjectCommonName ?? "?"
        let expiry = UTCStamp.readable(certificate.notAfter)
        Swift.print("Issued \(identity), serial \(certificate.serialNumber), valid until \(expiry)")
        if !certificate.subjectAlternativeNames.isEmpty {
            Swift.print("  names: \(certificate.subjectAlternativeNames.joined(separator: ", "))")
        }
        Swift.print("  wrote \(issued.certificatePath)")
        Swift.print("  wrote \(issued.keyPath)  (mode 0600)")
        for old in issued.replaced {
            Swift.print(
                "  revoked the previous certificate, serial \(old.serial); rewrote \(directory.revocationListPath)")
        }
        Swift.print("Next: \(next)")
    }
}
