import COpenSSL
import Foundation
import KeepCore

/// The verified certificate of the peer of one connection; owns the `X509` reference it holds.
final class PeerCertificate {
    private let pointer: OpaquePointer

    /// Takes the certificate OpenSSL verified during the handshake, or `nil` if the peer sent none.
    init?(ssl: OpaquePointer) {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        pointer = certificate
    }

    deinit { X509_free(pointer) }

    /// The single value of a subject attribute; `nil` if absent, repeated or not valid UTF-8.
    func subjectValue(_ nid: Int32) -> String? {
        guard let name = X509_get_subject_name(pointer) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, nid, -1)
        guard index >= 0, X509_NAME_get_index_by_NID(name, nid, index) < 0,
            let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CRYPTO_free(utf8, #filePath, #line) }
        let bytes = UnsafeBufferPointer(start: utf8, count: Int(length))
        guard !bytes.contains(0) else { return nil }  // An embedded NUL is an attempt to confuse name checks.
        return String(validating: bytes, as: UTF8.self)
    }

    /// SHA-256 of the DER encoding, lowercase hex.
    var fingerprint: String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(pointer, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return digest.prefix(Int(length)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// notAfter in Unix seconds.
    var notAfter: Int64 {
        guard let time = X509_get0_notAfter(pointer) else { return 0 }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return 0 }
        return Int64(timegm(&parts))
    }

    /// Checks that the certificate names a Keep identity with an accepted role.
    func identity(acceptedRoles: Set<PeerRole>, isServer: Bool) throws -> PeerIdentity {
        let peerName = isServer ? "client" : "server"
        guard let commonName = subjectValue(NID_commonName),
            let identity = PeerIdentity(
                commonName: commonName, organizationalUnit: subjectValue(NID_organizationalUnitName))
        else {
            throw TLSError(
                .invalidIdentity,
                "the \(peerName) certificate subject does not carry a Keep identity"
                    + " (CN=<role>:<name>, OU=<pool> for agents)",
                hint: "issue the certificate with `keepctl pki issue`, which writes the subject Keep expects")
        }
        guard acceptedRoles.contains(identity.role) else {
            let accepted = acceptedRoles.map(\.rawValue).sorted().joined(separator: ", ")
            throw TLSError(
                .roleNotAllowed,
                "the \(peerName) certificate is for \(identity), whose role is not accepted here"
                    + " (accepted: \(accepted))",
                hint: isServer
                    ? "connect with a certificate of an accepted role"
                    : "check the address: it does not lead to a Keep controller")
        }
        return identity
    }
}
