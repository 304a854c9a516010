import COpenSSL
import KeepCore

/// An ECDSA P-256 private key (OpenSSL `EVP_PKEY`), the key type of every Keep certificate.
///
/// Immutable after creation, which OpenSSL allows to share between threads; hence
/// `@unchecked Sendable`. Nothing in this type ever prints key material.
public final class PrivateKey: @unchecked Sendable {
    /// The owned `EVP_PKEY *`, for the TLS code of this module (`SSL_CTX_use_PrivateKey`).
    let pkey: OpaquePointer

    /// Takes ownership of `pkey`.
    init(taking pkey: OpaquePointer) {
        self.pkey = pkey
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// A fresh P-256 key from OpenSSL's CSPRNG.
    public static func generateP256() throws -> PrivateKey {
        guard let pkey = keep_x509_ec_generate("P-256") else {
            throw PKIError.openSSL("could not generate a P-256 key")
        }
        return PrivateKey(taking: pkey)
    }

    /// Parses an unencrypted PEM private key (PKCS#8 `PRIVATE KEY` or `EC PRIVATE KEY`).
    /// Encrypted keys are refused rather than prompting on the terminal.
    public convenience init(pem: String) throws {
        let parsed = try PEMCoding.withReadBIO(pem) { bio in
            PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let parsed else {
            throw PKIError.openSSL(
                "not an unencrypted PEM private key",
                hint: "use the .key file written by `keepctl pki issue` (encrypted keys are not supported)")
        }
        guard EVP_PKEY_get_base_id(parsed) == NID_X9_62_id_ecPublicKey else {
            EVP_PKEY_free(parsed)
            throw KeepError(.crypto, "the private key is not an ECDSA key", hint: "Keep uses ECDSA P-256 keys only")
        }
        self.init(taking: parsed)
    }

    /// Reads a PEM private key file.
    public static func load(path: String) throws -> PrivateKey {
        let text = try PEMCoding.readFile(path, what: "private key")
        do {
            return try PrivateKey(pem: text)
        } catch let error as KeepError {
            throw KeepError(error.code, error.reason, context: path, hint: error.hint)
        }
    }

    /// The key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`); store it with mode 0600.
    public func pemEncoded() throws -> String {
        try PEMCoding.write("private key") { bio in
            PEM_write_bio_PKCS8PrivateKey(bio, pkey, nil, nil, 0, nil, nil)
        }
    }

    /// Whether `certificate` carries this key's public half.
    public func matches(_ certificate: Certificate) -> Bool {
        let matches = X509_check_private_key(certificate.x509, pkey) == 1
        if !matches { _ = PKIError.drainErrorQueue() }
        return matches
    }
}
