import COpenSSL
import KeepCore

/// A signed X.509 v2 certificate revocation list (OpenSSL `X509_CRL`): the serials the CA has
/// revoked. The controller reloads `crl.pem` to refuse revoked agents and operators.
///
/// Immutable after creation; hence `@unchecked Sendable`.
public final class CertificateRevocationList: @unchecked Sendable {
    /// The owned `X509_CRL *`, for the TLS code of this module (`X509_STORE_add_crl`).
    let crl: OpaquePointer

    /// Takes ownership of `crl`.
    init(taking crl: OpaquePointer) {
        self.crl = crl
    }

    deinit {
        X509_CRL_free(crl)
    }

    /// Parses a PEM revocation list (`-----BEGIN X509 CRL-----`).
    public convenience init(pem: String) throws {
        let parsed = try PEMCoding.withReadBIO(pem) { bio in PEM_read_bio_X509_CRL(bio, nil, nil, nil) }
        guard let parsed else {
            throw PKIError.openSSL("not a PEM revocation list", hint: "pass the crl.pem written by `keepctl pki`")
        }
        self.init(taking: parsed)
    }

    /// Reads a PEM revocation list file.
    public static func load(path: String) throws -> CertificateRevocationList {
        let text = try PEMCoding.readFile(path, what: "revocation list")
        do {
            return try CertificateRevocationList(pem: text)
        } catch let error as KeepError {
            throw KeepError(error.code, error.reason, context: path, hint: error.hint)
        }
    }

    /// The list as PEM.
    public func pemEncoded() throws -> String {
        try PEMCoding.write("revocation list") { bio in PEM_write_bio_X509_CRL(bio, crl) }
    }

    /// The revoked serials, lowercase hex as in `Certificate.serialNumber`, in the list's order.
    public var revokedSerials: [String] {
        let revoked = X509_CRL_get_REVOKED(crl)
        return (0..<keep_x509_revoked_count(revoked)).compactMap { index in
            guard let entry = keep_x509_revoked_value(revoked, index) else { return nil }
            return ASN1Values.hex(of: X509_REVOKED_get0_serialNumber(entry))
        }
    }

    /// Whether `serial` (hex, any case, colons allowed) is on the list.
    public func contains(serial: String) -> Bool {
        guard let normalized = ASN1Values.normalizedSerial(serial) else { return false }
        return revokedSerials.contains(normalized)
    }

    /// When the list was signed (Unix seconds, dated back by the clock-skew allowance).
    public var lastUpdate: Int64 {
        ASN1Values.seconds(of: X509_CRL_get0_lastUpdate(crl)) ?? Int64.max
    }

    /// When the list expires (Unix seconds); after that, verification against it fails until the
    /// CA signs a new one (`keepctl pki crl`).
    public var nextUpdate: Int64 {
        ASN1Values.seconds(of: X509_CRL_get0_nextUpdate(crl)) ?? Int64.min
    }

    /// The issuing CA's common name.
    public var issuerCommonName: String? {
        X509Names.uniqueText(of: X509_CRL_get_issuer(crl), nid: NID_commonName)
    }

    /// Checks that `authority` signed this list; throws otherwise, so a controller never loads a
    /// list from another CA.
    public func verifySignature(by authority: Certificate) throws {
        guard let publicKey = X509_get0_pubkey(authority.x509), X509_CRL_verify(crl, publicKey) == 1 else {
            throw PKIError.openSSL(
                "the revocation list is not signed by the CA \(authority.subjectCommonName ?? "?")",
                hint: "regenerate it with `keepctl pki crl` in the directory of this CA")
        }
    }
}
