import COpenSSL
import KeepCore

/// Why a certificate failed `Certificate.verify(issuedBy:revocationList:at:)`, in terms an
/// operator can act on. Match on `reason`; `keepError` gives the wire-level form.
public struct CertificateVerificationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of failure Keep distinguishes.
    public enum Reason: Sendable, Hashable {
        case expired
        case notYetValid
        case revoked
        /// Not signed by the CA it was checked against (another Keep CA, a foreign certificate).
        case unknownIssuer
        /// The revocation list is expired, not yet valid, not from this CA, or missing.
        case revocationListUnusable
        /// Anything else OpenSSL reports (the text is in `detail`).
        case other
    }

    public var reason: Reason
    /// The certificate's subject common name, for the message.
    public var subject: String
    /// One sentence from OpenSSL or about the dates.
    public var detail: String
    /// What to do next.
    public var hint: String

    public var description: String {
        "certificate \(subject) rejected: \(detail) — \(hint)"
    }

    /// The same failure as a `KeepError` (`.tls` for chain problems, `.permissionDenied` for
    /// revocation).
    public var keepError: KeepError {
        KeepError(
            reason == .revoked ? .permissionDenied : .tls, "certificate rejected: \(detail)", context: subject,
            hint: hint)
    }

    /// Classifies OpenSSL's verification result `code` for `certificate` checked against `authority`.
    init(code: Int32, certificate: Certificate, authority: Certificate) {
        subject = certificate.subjectCommonName ?? "(no common name)"
        let authorityName = authority.subjectCommonName ?? "(unnamed CA)"
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            reason = .expired
            detail = "it expired at \(UTCStamp.readable(certificate.notAfter))"
            hint = "issue a new certificate with `keepctl pki issue`"
        case X509_V_ERR_CERT_NOT_YET_VALID:
            reason = .notYetValid
            detail = "it is not valid before \(UTCStamp.readable(certificate.notBefore))"
            hint = "check this machine's clock"
        case X509_V_ERR_CERT_REVOKED:
            reason = .revoked
            detail = "serial \(certificate.serialNumber) has been revoked"
            hint = "issue a new certificate with `keepctl pki issue` if access should continue"
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
            X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
            X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            reason = .unknownIssuer
            detail = "it was not issued by the CA \"\(authorityName)\""
            hint = "use a certificate issued from the same PKI directory as this ca.pem"
        case X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID, X509_V_ERR_UNABLE_TO_GET_CRL,
            X509_V_ERR_CRL_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE,
            X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
            reason = .revocationListUnusable
            detail = "the revocation list cannot be used (\(Self.openSSLText(code)))"
            hint = "sign a fresh one with `keepctl pki crl` and copy crl.pem to the controller"
        default:
            reason = .other
            detail = Self.openSSLText(code)
            hint = "inspect it with `openssl x509 -text -noout -in <file>`"
        }
    }

    private static func openSSLText(_ code: Int32) -> String {
        guard let text = X509_verify_cert_error_string(Int(code)) else { return "verification error \(code)" }
        return String(cString: text)
    }
}
