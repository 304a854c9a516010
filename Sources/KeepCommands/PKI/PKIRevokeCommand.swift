import ArgumentParser
import KeepCore
import KeepCrypto

/// `keepctl pki revoke`: revokes a certificate and atomically rewrites `crl.pem`.
public struct PKIRevokeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a certificate and rewrite the revocation list (crl.pem).")

    @OptionGroup public var options: PKIOptions

    @Option(help: "Revoke the agent certificate of this host.")
    public var host: String?

    @Option(name: .customLong("operator"), help: "Revoke the certificate of this operator.")
    public var operatorName: String?

    @Option(help: "Revoke the certificate of this controller.")
    public var controller: String?

    @Option(help: "Revoke the certificate with this serial (at least 8 leading hex digits).")
    public var serial: String?

    public init() {}

    public func validate() throws {
        let given = [host, operatorName, controller, serial].compactMap { $0 }
        guard given.count == 1 else {
            throw ValidationError("pass exactly one of --host, --operator, --controller or --serial")
        }
    }

    /// The certificates this invocation names.
    public var target: PKIDirectory.RevocationTarget {
        if let host { return .identity(role: .agent, name: host) }
        if let operatorName { return .identity(role: .operator, name: operatorName) }
        if let controller { return .identity(role: .controller, name: controller) }
        return .serial(serial ?? "")
    }

    public func run() throws {
        let directory = PKIDirectory(options.dir)
        let revoked = try directory.revoke(target)
        for entry in revoked {
            print("Revoked \(entry.identity), serial \(entry.serial)")
        }
        print("  rewrote \(directory.revocationListPath) and \(directory.indexPath)")
        print("Next: a controller reading \(directory.revocationListPath) picks it up when it reloads;")
        print("      copy it to controllers that keep their own copy")
    }
}
