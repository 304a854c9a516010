import COpenSSL
import KeepCore

/// An X.509 certificate (OpenSSL `X509`) and the facts Keep reads from it: identity, serial,
/// validity, fingerprint and subject alternative names.
///
/// Immutable after creation, which OpenSSL allows to share between threads; hence
/// `@unchecked Sendable`.
public final class Certificate: @unchecked Sendable {
    /// The owned `X509 *`, for the TLS code of this module (`SSL_CTX_use_certificate`, stores).
    let x509: OpaquePointer

    /// Takes ownership of `x509`.
    init(taking x509: OpaquePointer) {
        self.x509 = x509
    }

    deinit {
        X509_free(x509)
    }

    /// Parses one PEM certificate (the first one when `pem` holds several).
    public convenience init(pem: String) throws {
        let parsed = try PEMCoding.withReadBIO(pem) { bio in PEM_read_bio_X509(bio, nil, nil, nil) }
        guard let parsed else {
            throw PKIError.openSSL("not a PEM certificate", hint: "pass a .pem file written by `keepctl pki`")
        }
        self.init(taking: parsed)
    }

    /// Reads a PEM certificate file.
    public static func load(path: String) throws -> Certificate {
        let text = try PEMCoding.readFile(path, what: "certificate")
        do {
            return try Certificate(pem: text)
        } catch let error as KeepError {
            throw KeepError(error.code, error.reason, context: path, hint: error.hint)
        }
    }

    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`).
    public func pemEncoded() throws -> String {
        try PEMCoding.write("certificate") { bio in PEM_write_bio_X509(bio, x509) }
    }

    /// The DER encoding, as signed by the issuer.
    public func derEncoded() throws -> [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(x509, &buffer)
        guard length > 0, let buffer else { throw PKIError.openSSL("could not DER-encode the certificate") }
        defer { CRYPTO_free(buffer, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
    }

    /// The subject's common name: `agent:web-01` for leaves, the CA's name for the CA.
    public var subjectCommonName: String? {
        X509Names.uniqueText(of: X509_get_subject_name(x509), nid: NID_commonName)
    }

    /// The subject's organizational unit: the pool of an agent certificate.
    public var subjectOrganizationalUnit: String? {
        X509Names.uniqueText(of: X509_get_subject_name(x509), nid: NID_organizationalUnitName)
    }

    /// The issuer's common name (the CA's name for a leaf).
    public var issuerCommonName: String? {
        X509Names.uniqueText(of: X509_get_issuer_name(x509), nid: NID_commonName)
    }

    /// The Keep identity in the subject; `nil` for a CA or a foreign certificate. Only meaningful
    /// once `verify(issuedBy:revocationList:at:)` has passed.
    public var identity: PeerIdentity? {
        guard let commonName = subjectCommonName else { return nil }
        return PeerIdentity(commonName: commonName, organizationalUnit: subjectOrganizationalUnit)
    }

    /// The serial number in lowercase hex, e.g. `5f03…` (32 digits for serials Keep issued).
    public var serialNumber: String {
        ASN1Values.hex(of: X509_get0_serialNumber(x509))
    }

    /// Start of validity, Unix seconds.
    public var notBefore: Int64 {
        ASN1Values.seconds(of: X509_get0_notBefore(x509)) ?? Int64.max
    }

    /// End of validity, Unix seconds.
    public var notAfter: Int64 {
        ASN1Values.seconds(of: X509_get0_notAfter(x509)) ?? Int64.min
    }

    /// Lowercase hex SHA-256 over the DER encoding: what the catalog records for a host, and
    /// what `openssl x509 -fingerprint -sha256` shows (without colons).
    public var fingerprintSHA256: String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(x509, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return Hex.encode(digest.prefix(Int(length)))
    }

    /// Subject alternative names as `DNS:name` and `IP:address`; other kinds are skipped.
    public var subjectAlternativeNames: [String] {
        X509Names.subjectAlternativeNames(of: x509)
    }

    /// Whether the certificate is a CA certificate (basicConstraints CA:TRUE).
    public var isCertificateAuthority: Bool {
        X509_check_ca(x509) == 1
    }
}
