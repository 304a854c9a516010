import ArgumentParser
import KeepCore
import KeepCrypto

/// `keepctl pki issue agent`: a client certificate naming a host and its pool.
public struct PKIIssueAgentCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Issue an agent (TLS client) certificate for a host in a pool.")

    @OptionGroup public var options: PKIOptions
    @OptionGroup public var issueOptions: PKIIssueOptions

    @Option(help: "The host id (as the catalog and the operator will name it).")
    public var host: String

    @Option(help: "The pool the host belongs to.")
    public var pool: String

    @Option(help: "Days the certificate is valid.")
    public var days: Int = 825

    public init() {}

    public func validate() throws {
        guard Name.isValid(host) else { throw ValidationError("invalid --host '\(host)'") }
        guard Name.isValid(pool) else { throw ValidationError("invalid --pool '\(pool)'") }
        guard days > 0 else { throw ValidationError("--days must be positive") }
    }

    public func run() throws {
        let directory = PKIDirectory(options.dir)
        let identity = PeerIdentity(role: .agent, name: host, pool: pool)
        let issued = try directory.issue(for: identity, validityDays: days, force: issueOptions.force)
        let certificate = PKIDirectory.relativeCertificatePath(for: identity)
        let key = PKIDirectory.relativeKeyPath(for: identity)
        PKIIssueReport.print(
            issued, in: directory,
            next: "copy \(certificate), \(key) and ca.pem to the host \(host) (keep the key mode 0600)")
    }
}
