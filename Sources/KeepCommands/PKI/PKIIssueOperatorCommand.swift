import ArgumentParser
import KeepCore
import KeepCrypto

/// `keepctl pki issue operator`: a client certificate for a person running keepctl.
public struct PKIIssueOperatorCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "operator", abstract: "Issue an operator (TLS client) certificate for keepctl.")

    @OptionGroup public var options: PKIOptions
    @OptionGroup public var issueOptions: PKIIssueOptions

    @Option(help: "The operator's name.")
    public var name: String

    @Option(help: "Days the certificate is valid.")
    public var days: Int = 365

    public init() {}

    public func validate() throws {
        guard Name.isValid(name) else { throw ValidationError("invalid --name '\(name)'") }
        guard days > 0 else { throw ValidationError("--days must be positive") }
    }

    public func run() throws {
        let directory = PKIDirectory(options.dir)
        let identity = PeerIdentity(role: .operator, name: name)
        let issued = try directory.issue(for: identity, validityDays: days, force: issueOptions.force)
        let certificate = PKIDirectory.relativeCertificatePath(for: identity)
        let key = PKIDirectory.relativeKeyPath(for: identity)
        PKIIssueReport.print(
            issued, in: directory,
            next: "give \(certificate), \(key) and ca.pem to \(name) for keepctl (keep the key mode 0600)")
    }
}
