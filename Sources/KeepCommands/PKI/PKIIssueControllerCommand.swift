import ArgumentParser
import KeepCore
import KeepCrypto

/// `keepctl pki issue controller`: a server certificate for a keep-controller.
public struct PKIIssueControllerCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "controller",
        abstract: "Issue a controller (TLS server) certificate; --name is also a DNS (or IP) subject alternative name.")

    @OptionGroup public var options: PKIOptions
    @OptionGroup public var issueOptions: PKIIssueOptions

    @Option(help: "The controller's name, normally the DNS name agents dial.")
    public var name: String

    @Option(name: .customLong("dns"), help: "An extra DNS name agents may use (repeatable).")
    public var dnsNames: [String] = []

    @Option(name: .customLong("ip"), help: "An IP address agents may dial (repeatable).")
    public var ipAddresses: [String] = []

    @Option(help: "Days the certificate is valid.")
    public var days: Int = 825

    public init() {}

    public func validate() throws {
        guard Name.isValid(name) else { throw ValidationError("invalid --name '\(name)'") }
        guard days > 0 else { throw ValidationError("--days must be positive") }
    }

    public func run() throws {
        let directory = PKIDirectory(options.dir)
        let identity = PeerIdentity(role: .controller, name: name)
        let issued = try directory.issue(
            for: identity, dnsNames: dnsNames, ipAddresses: ipAddresses, validityDays: days, force: issueOptions.force)
        let certificate = PKIDirectory.relativeCertificatePath(for: identity)
        let key = PKIDirectory.relativeKeyPath(for: identity)
        PKIIssueReport.print(
            issued, in: directory,
            next: "copy \(certificate), \(key), ca.pem and crl.pem to the controller \(name)"
                + " and point its configuration at them")
    }
}
