import COpenSSL
import KeepCore

/// Assembles and signs one certificate. Owns the `X509 *` until `sign(with:)` hands it to a
/// `Certificate`; extensions are written in OpenSSL's configuration syntax, with every value
/// validated by the caller first.
final class X509Builder {
    private var x509: OpaquePointer?

    init(
        subject: OpaquePointer, issuer: Certificate?, publicKey: PrivateKey, notBefore: Int64, notAfter: Int64
    ) throws {
        guard notAfter > notBefore else {
            throw KeepError(
                .configuration, "a certificate must end after it starts", context: "\(notBefore)...\(notAfter)")
        }
        guard let x509 = X509_new() else { throw PKIError.openSSL("could not allocate a certificate") }
        self.x509 = x509
        let serial = try ASN1Values.makeInteger(ASN1Values.randomSerial())
        defer { ASN1_INTEGER_free(serial) }
        // X509_set_* copy their arguments; version 2 means X.509 v3.
        guard X509_set_version(x509, 2) == 1, X509_set_serialNumber(x509, serial) == 1,
            X509_set_subject_name(x509, subject) == 1,
            X509_set_issuer_name(x509, issuer.map { X509_get_subject_name($0.x509) } ?? subject) == 1,
            ASN1_TIME_set(X509_getm_notBefore(x509), time_t(notBefore)) != nil,
            ASN1_TIME_set(X509_getm_notAfter(x509), time_t(notAfter)) != nil,
            X509_set_pubkey(x509, publicKey.pkey) == 1
        else { throw PKIError.openSSL("could not fill in the certificate") }
    }

    deinit {
        if let x509 { X509_free(x509) }
    }

    /// Adds extension `nid` with `value` in OpenSSL's configuration syntax (e.g. `critical,CA:TRUE`).
    /// `issuer` is the signing CA, `nil` for a self-signed certificate.
    func addExtension(_ nid: Int32, _ value: String, issuer: Certificate?) throws {
        guard let x509 else { return }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.x509 ?? x509, x509, nil, nil, 0)
        guard let extensionValue = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
            throw PKIError.openSSL("could not build the certificate extension \(value)")
        }
        defer { X509_EXTENSION_free(extensionValue) }
        guard X509_add_ext(x509, extensionValue, -1) == 1 else {
            throw PKIError.openSSL("could not add the certificate extension \(value)")
        }
    }

    /// Signs with ECDSA over SHA-256 and returns the finished certificate.
    func sign(with key: PrivateKey) throws -> Certificate {
        guard let x509 else { throw KeepError(.internalError, "certificate already signed") }
        guard X509_sign(x509, key.pkey, EVP_sha256()) > 0 else {
            throw PKIError.openSSL("could not sign the certificate")
        }
        self.x509 = nil
        return Certificate(taking: x509)
    }
}
