import COpenSSL
import KeepCore

/// A serial to put on a revocation list, with the time it was revoked.
public struct RevokedCertificate: Sendable, Hashable {
    /// Lowercase hex serial.
    public var serial: String
    /// Unix seconds.
    public var revokedAt: Int64

    public init(serial: String, revokedAt: Int64) {
        self.serial = serial
        self.revokedAt = revokedAt
    }
}

extension CertificateAuthority {
    /// A signed revocation list naming `revokedSerials` (hex), revoked as of `now`, valid until
    /// `validityDays` after `now`.
    public func revocationList(
        revokedSerials: [String], validityDays: Int = 30, now: Int64 = ASN1Values.now()
    ) throws -> CertificateRevocationList {
        try revocationList(
            revoked: revokedSerials.map { RevokedCertificate(serial: $0, revokedAt: now) },
            validityDays: validityDays, now: now)
    }

    /// A signed revocation list naming each certificate with its revocation time, valid from
    /// 5 minutes before `now` until `validityDays` after it. Its CRL number is `now`, so later lists
    /// have larger numbers.
    public func revocationList(
        revoked: [RevokedCertificate], validityDays: Int = 30, now: Int64 = ASN1Values.now()
    ) throws -> CertificateRevocationList {
        guard validityDays > 0 else {
            throw KeepError(.configuration, "a revocation list must be valid for at least one day")
        }
        guard let crl = X509_CRL_new() else { throw PKIError.openSSL("could not allocate a revocation list") }
        let list = CertificateRevocationList(taking: crl)
        let lastUpdate = try ASN1Values.makeTime(now - Self.clockSkewAllowance)
        defer { ASN1_TIME_free(lastUpdate) }
        let nextUpdate = try ASN1Values.makeTime(now + Int64(validityDays) * 86400)
        defer { ASN1_TIME_free(nextUpdate) }
        // Version 1 means an X.509 v2 list, which may carry extensions.
        guard X509_CRL_set_version(crl, 1) == 1,
            X509_CRL_set_issuer_name(crl, X509_get_subject_name(certificate.x509)) == 1,
            X509_CRL_set1_lastUpdate(crl, lastUpdate) == 1, X509_CRL_set1_nextUpdate(crl, nextUpdate) == 1
        else { throw PKIError.openSSL("could not fill in the revocation list") }

        for entry in revoked {
            try add(entry, to: crl)
        }
        try addExtensions(to: crl, number: now)
        guard X509_CRL_sort(crl) == 1, X509_CRL_sign(crl, key.pkey, EVP_sha256()) > 0 else {
            throw PKIError.openSSL("could not sign the revocation list")
        }
        return list
    }

    private func add(_ entry: RevokedCertificate, to crl: OpaquePointer) throws {
        guard let normalized = ASN1Values.normalizedSerial(entry.serial), let magnitude = Hex.decode(normalized) else {
            throw KeepError(.configuration, "not a hexadecimal serial number", context: entry.serial)
        }
        let serial = try ASN1Values.makeInteger(magnitude)
        defer { ASN1_INTEGER_free(serial) }
        let date = try ASN1Values.makeTime(entry.revokedAt)
        defer { ASN1_TIME_free(date) }
        guard let revoked = X509_REVOKED_new() else { throw PKIError.openSSL("could not allocate a revocation entry") }
        guard X509_REVOKED_set_serialNumber(revoked, serial) == 1, X509_REVOKED_set_revocationDate(revoked, date) == 1,
            X509_CRL_add0_revoked(crl, revoked) == 1
        else {
            X509_REVOKED_free(revoked)
            throw PKIError.openSSL("could not add serial \(normalized) to the revocation list")
        }
    }

    private func addExtensions(to crl: OpaquePointer, number: Int64) throws {
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, certificate.x509, nil, nil, crl, 0)
        guard let authorityKey = X509V3_EXT_conf_nid(nil, &context, NID_authority_key_identifier, "keyid:always") else {
            throw PKIError.openSSL("could not build the revocation list's authority key identifier")
        }
        defer { X509_EXTENSION_free(authorityKey) }
        let crlNumber = try ASN1Values.makeInteger(withUnsafeBytes(of: UInt64(max(0, number)).bigEndian) { Array($0) })
        defer { ASN1_INTEGER_free(crlNumber) }
        guard X509_CRL_add_ext(crl, authorityKey, -1) == 1,
            X509_CRL_add1_ext_i2d(crl, NID_crl_number, crlNumber, 0, 0) == 1
        else { throw PKIError.openSSL("could not add extensions to the revocation list") }
    }
}
