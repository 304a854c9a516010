import COpenSSL
import KeepCore

extension Certificate {
    /// Verifies that `authority` issued this certificate, that both are valid at `time` (Unix
    /// seconds) and, when `revocationList` is given, that the list is from `authority`, current at
    /// `time`, and does not name this certificate.
    ///
    /// Throws `CertificateVerificationError` saying what failed (expired, revoked, wrong CA…).
    public func verify(issuedBy authority: Certificate, revocationList: CertificateRevocationList?, at time: Int64)
        throws
    {
        ERR_clear_error()
        guard let store = X509_STORE_new() else { throw PKIError.openSSL("could not allocate a certificate store") }
        defer { X509_STORE_free(store) }
        guard X509_STORE_add_cert(store, authority.x509) == 1 else {
            throw PKIError.openSSL("could not trust the CA certificate")
        }
        if let revocationList {
            guard X509_STORE_add_crl(store, revocationList.crl) == 1,
                X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK)) == 1
            else { throw PKIError.openSSL("could not use the revocation list") }
        }
        guard let context = X509_STORE_CTX_new() else {
            throw PKIError.openSSL("could not allocate a verification context")
        }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, x509, nil) == 1 else {
            throw PKIError.openSSL("could not set up certificate verification")
        }
        X509_STORE_CTX_set_time(context, 0, time_t(time))
        if X509_verify_cert(context) == 1 { return }
        _ = PKIError.drainErrorQueue()
        throw CertificateVerificationError(
            code: X509_STORE_CTX_get_error(context), certificate: self, authority: authority)
    }
}
