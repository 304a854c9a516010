import ArgumentParser
import KeepCore
import KeepCrypto

/// `keepctl pki init`: creates the CA, an empty revocation list and the index.
public struct PKIInitCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create a new certificate authority (refuses to replace an existing one).")

    @OptionGroup public var options: PKIOptions

    @Option(help: "The CA's name (its certificate's common name).")
    public var name: String = "Keep CA"

    @Option(help: "Days the CA certificate is valid.")
    public var days: Int = 3650

    public init() {}

    public func validate() throws {
        guard days > 0 else { throw ValidationError("--days must be positive") }
        guard !name.isEmpty, name.utf8.count <= 64 else { throw ValidationError("--name must have 1 to 64 characters") }
    }

    public func run() throws {
        let directory = PKIDirectory(options.dir)
        let authority = try directory.initialize(name: name, validityDays: days)
        let certificate = authority.certificate
        print("Created CA \"\(name)\", valid until \(UTCStamp.readable(certificate.notAfter))")
        print("  wrote \(directory.certificateAuthorityPath)  (SHA-256 \(certificate.fingerprintSHA256))")
        print("  wrote \(directory.certificateAuthorityKeyPath)  (mode 0600 — keep it offline, back it up)")
        print("  wrote \(directory.revocationListPath)  (empty, valid \(PKIDirectory.revocationListValidityDays) days)")
        print("  wrote \(directory.indexPath)")
        print("Next: keepctl pki issue controller --name <dns-name> --dir \(options.dir)")
    }
}
