import COpenSSL

/// Turns what OpenSSL reports after a failed handshake or read (the verify result, the error queue, alerts received
/// from the peer) into a ``TLSError`` an operator can act on. Always leaves the error queue empty.
enum TLSFailure {
    /// OpenSSL reports an alert received from the peer as reason `SSL_AD_REASON_OFFSET + alert`.
    private static let alertOffset: Int32 = 1000

    /// The error for a failed `SSL_do_handshake`/`SSL_read`.
    ///
    /// - Parameter firstByte: the first byte the peer sent, if any: a TLS peer always starts with a handshake (22)
    ///   or alert (21) record, anything else means the peer does not speak TLS.
    static func classify(ssl: OpaquePointer, isServer: Bool, firstByte: UInt8?) -> TLSError {
        let entries = OpenSSLErrorQueue.drain()
        let peer = isServer ? "client" : "server"
        let verifyResult = Int32(truncatingIfNeeded: SSL_get_verify_result(ssl))
        if verifyResult != X509_V_OK {
            return verifyFailure(verifyResult, peer: peer)
        }
        if let firstByte, firstByte != 22, firstByte != 21 {
            let looksLikeHTTP = entries.contains { $0.reason == SSL_R_HTTP_REQUEST }
            return TLSError(
                .notTLS,
                looksLikeHTTP
                    ? "the \(peer) sent a plain HTTP request instead of a TLS handshake"
                    : "the \(peer) does not speak TLS (first byte 0x\(String(firstByte, radix: 16)))",
                hint: "point the \(peer) at the right port, and make it use Keep's TLS")
        }
        for entry in entries {
            let alert = entry.reason - alertOffset
            if (0..<256).contains(alert), entry.library == ERR_LIB_SSL {
                return alertFailure(alert, isServer: isServer)
            }
            if entry.library == ERR_LIB_SSL, entry.reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE {
                return TLSError(
                    .noPeerCertificate, "the client presented no certificate; Keep requires mutual TLS",
                    hint: "configure the client with a certificate issued by the Keep CA (`keepctl pki issue`)")
            }
        }
        let detail = entries.last?.text ?? "no detail from OpenSSL"
        return TLSError(
            .protocolFailure, "the TLS exchange with the \(peer) failed: \(detail)",
            hint: "check that both sides run Keep with TLS 1.3 and certificates from the same Keep CA")
    }

    /// The error for a certificate the local side refused.
    static func verifyFailure(_ result: Int32, peer: String) -> TLSError {
        let text = String(cString: X509_verify_cert_error_string(Int(result)))
        switch result {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return TLSError(
                .expiredCertificate, "the \(peer) certificate has expired (\(text))",
                hint: "renew the \(peer)'s certificate with `keepctl pki issue`, then restart it")
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return TLSError(
                .notYetValidCertificate, "the \(peer) certificate is not valid yet (\(text))",
                hint: "check the clocks of both machines (NTP)")
        case X509_V_ERR_CERT_REVOKED:
            return TLSError(
                .revokedCertificate, "the \(peer) certificate has been revoked (\(text))",
                hint: "issue a new certificate if this \(peer) should connect again")
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            return TLSError(
                .serverNameMismatch, "the server certificate does not name the address we dialled (\(text))",
                hint: "dial the controller by a name or IP listed in its certificate, or reissue it with that SAN")
        case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID,
            X509_V_ERR_CRL_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
            return TLSError(
                .configuration, "the revocation list cannot be used to check the \(peer) certificate (\(text))",
                hint: "regenerate the CRL with `keepctl pki crl` from the Keep CA that issued the certificates")
        default:
            return TLSError(
                .untrustedCertificate, "the \(peer) certificate is not trusted: \(text)",
                hint: "use a certificate issued by this fleet's Keep CA (`keepctl pki issue`)")
        }
    }

    /// The error for an alert the peer sent: the peer refused us, and the alert says why.
    static func alertFailure(_ alert: Int32, isServer: Bool) -> TLSError {
        let peer = isServer ? "client" : "controller"
        // OpenSSL 3.0 has no text for the TLS 1.3 "certificate required" alert.
        let description =
            alert == SSL_AD_CERTIFICATE_REQUIRED
            ? "certificate required" : String(cString: SSL_alert_desc_string_long(alert))
        let reason = "the \(peer) rejected the connection with TLS alert \"\(description)\""
        switch alert {
        case SSL_AD_CERTIFICATE_EXPIRED:
            return TLSError(
                .expiredCertificate, reason + ": our certificate has expired",
                hint: "renew this machine's certificate (`keepctl pki issue`)")
        case SSL_AD_CERTIFICATE_REVOKED:
            return TLSError(
                .revokedCertificate, reason + ": our certificate has been revoked",
                hint: "ask an operator for a new certificate if this machine should still connect")
        case SSL_AD_UNKNOWN_CA:
            return TLSError(
                .untrustedCertificate, reason + ": our certificate is not from the \(peer)'s Keep CA",
                hint: "use a certificate issued by the same Keep CA as the \(peer)'s")
        case SSL_AD_CERTIFICATE_REQUIRED:
            return TLSError(
                .noPeerCertificate, reason + ": we presented no certificate",
                hint: "configure a certificate and key issued by the Keep CA")
        case SSL_AD_BAD_CERTIFICATE, SSL_AD_UNSUPPORTED_CERTIFICATE, SSL_AD_CERTIFICATE_UNKNOWN:
            return TLSError(
                .untrustedCertificate, reason + ": our certificate was refused",
                hint: "check that the certificate is current and issued by the \(peer)'s Keep CA")
        case SSL_AD_PROTOCOL_VERSION:
            return TLSError(
                .protocolFailure, reason + ": it does not speak TLS 1.3",
                hint: "upgrade the \(peer) to a Keep version with TLS 1.3")
        default:
            return TLSError(
                .protocolFailure, reason,
                hint: "check the \(peer)'s log for the cause")
        }
    }
}
