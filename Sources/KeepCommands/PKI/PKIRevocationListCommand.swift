import ArgumentParser
import KeepCore
import KeepCrypto

/// `keepctl pki crl`: re-signs the revocation list before it expires.
public struct PKIRevocationListCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "crl",
        abstract: "Re-sign crl.pem with a fresh validity period (run it regularly, e.g. weekly from cron).")

    @OptionGroup public var options: PKIOptions

    public init() {}

    public func run() throws {
        let directory = PKIDirectory(options.dir)
        let list = try directory.refreshRevocationList()
        let expiry = UTCStamp.readable(list.nextUpdate)
        print("Rewrote \(directory.revocationListPath): \(list.revokedSerials.count) revoked, valid until \(expiry)")
    }
}
