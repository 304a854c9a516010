import COpenSSL
import KeepCore

/// Owns one configured `SSL_CTX`. Immutable once built, which is what lets OpenSSL share it between
/// connections on any thread; a CRL change builds a new one instead of mutating this one.
final class OpenSSLContext: @unchecked Sendable {
    let pointer: OpaquePointer
    let isServer: Bool

    /// Settings a context is built from; kept so the CRL reload can rebuild an identical context.
    struct Settings: Sendable {
        var isServer: Bool
        var certificateChain: String?
        var privateKey: String?
        var trustedCA: String
        var revocationList: String?
    }

    init(_ settings: Settings) throws {
        ERR_clear_error()
        guard let method = TLS_method(), let ctx = SSL_CTX_new(method) else {
            throw Self.failure("cannot create a TLS context", hint: "check the OpenSSL installation")
        }
        pointer = ctx
        isServer = settings.isServer
        // From here `deinit` frees `ctx` on every throw.
        guard keep_SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1,
            keep_SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1
        else {
            throw Self.failure("cannot restrict the context to TLS 1.3", hint: "Keep needs OpenSSL 3 with TLS 1.3")
        }
        _ = keep_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        // No resumption: every connection proves its certificate (and is checked against the current CRL).
        _ = keep_SSL_CTX_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_OFF))
        _ = SSL_CTX_set_num_tickets(ctx, 0)

        if let chain = settings.certificateChain, let key = settings.privateKey {
            guard SSL_CTX_use_certificate_chain_file(ctx, chain) == 1 else {
                throw Self.failure(
                    "cannot load the certificate chain \(chain)",
                    hint: "check that the file exists, is readable and holds PEM certificates")
            }
            guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else {
                let last = ERR_peek_last_error()
                if keep_ERR_GET_LIB(last) == ERR_LIB_X509, keep_ERR_GET_REASON(last) == X509_R_KEY_VALUES_MISMATCH {
                    throw Self.failure(
                        "the private key \(key) does not match the certificate \(chain)",
                        hint: "use the key generated together with this certificate")
                }
                throw Self.failure(
                    "cannot load the private key \(key)",
                    hint: "check that the file exists, is readable and holds an unencrypted PEM key")
            }
            guard SSL_CTX_check_private_key(ctx) == 1 else {
                throw Self.failure(
                    "the private key \(key) does not match the certificate \(chain)",
                    hint: "use the key generated together with this certificate")
            }
        }
        // Trust only the Keep CA: no system trust store is ever loaded.
        guard SSL_CTX_load_verify_locations(ctx, settings.trustedCA, nil) == 1 else {
            throw Self.failure(
                "cannot load the Keep CA certificate \(settings.trustedCA)",
                hint: "check that the file exists and holds the PEM certificate of the Keep CA")
        }
        if let crlPath = settings.revocationList {
            try Self.loadRevocationList(crlPath, into: ctx)
        }
        let mode = settings.isServer ? (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) : SSL_VERIFY_PEER
        SSL_CTX_set_verify(ctx, mode, nil)
        if settings.isServer {
            let sessionContext: [UInt8] = Array("keep".utf8)
            _ = SSL_CTX_set_session_id_context(ctx, sessionContext, UInt32(sessionContext.count))
        }
        ERR_clear_error()
    }

    deinit { SSL_CTX_free(pointer) }

    private static func loadRevocationList(_ path: String, into ctx: OpaquePointer) throws {
        guard let store = SSL_CTX_get_cert_store(ctx), let file = BIO_new_file(path, "r") else {
            throw failure(
                "cannot open the revocation list \(path)",
                hint: "check that the file exists and is readable, or run `keepctl pki crl` to create it")
        }
        defer { BIO_free(file) }
        var count = 0
        while let crl = PEM_read_bio_X509_CRL(file, nil, nil, nil) {
            defer { X509_CRL_free(crl) }
            guard X509_STORE_add_crl(store, crl) == 1 else {
                throw failure("cannot use the revocation list \(path)", hint: "regenerate it with `keepctl pki crl`")
            }
            count += 1
        }
        ERR_clear_error()  // The loop ends on a "no start line" error.
        guard count > 0 else {
            throw failure(
                "the revocation list \(path) holds no PEM CRL",
                hint: "regenerate it with `keepctl pki crl`")
        }
        X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK))
    }

    static func failure(_ reason: String, hint: String) -> TLSError {
        TLSError(.configuration, "\(reason) (\(OpenSSLErrorQueue.drainDescription()))", hint: hint)
    }
}
