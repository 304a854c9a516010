import Foundation
import KeepCore

/// `index.json` of a PKI directory: every certificate the CA issued and whether it is revoked.
/// The revocation list is always rebuilt from it.
public struct PKIIndex: Codable, Sendable, Hashable {
    /// Format version of the file; readers refuse versions they do not know.
    public static let currentVersion = 1

    /// One issued certificate.
    public struct Entry: Codable, Sendable, Hashable {
        /// Lowercase hex serial.
        public var serial: String
        public var role: PeerRole
        /// Host id, operator name or controller name.
        public var name: String
        /// The agent's pool; `nil` for other roles.
        public var pool: String?
        /// SHA-256 fingerprint of the certificate, lowercase hex.
        public var fingerprint: String
        /// Validity, Unix seconds.
        public var notBefore: Int64
        public var notAfter: Int64
        public var revoked: Bool
        /// When it was revoked, Unix seconds.
        public var revokedAt: Int64?

        public init(
            serial: String, role: PeerRole, name: String, pool: String?, fingerprint: String, notBefore: Int64,
            notAfter: Int64, revoked: Bool = false, revokedAt: Int64? = nil
        ) {
            self.serial = serial
            self.role = role
            self.name = name
            self.pool = pool
            self.fingerprint = fingerprint
            self.notBefore = notBefore
            self.notAfter = notAfter
            self.revoked = revoked
            self.revokedAt = revokedAt
        }

        /// The identity the certificate carries.
        public var identity: PeerIdentity { PeerIdentity(role: role, name: name, pool: pool) }
    }

    public var version: Int
    /// In issue order.
    public var certificates: [Entry]

    public init(certificates: [Entry] = []) {
        self.version = Self.currentVersion
        self.certificates = certificates
    }

    /// Parses `index.json`.
    public init(json: Data) throws {
        let decoded: PKIIndex
        do {
            decoded = try JSONDecoder().decode(PKIIndex.self, from: json)
        } catch {
            throw KeepError(.integrity, "index.json is not a valid PKI index", hint: "\(error)")
        }
        guard decoded.version == Self.currentVersion else {
            throw KeepError(
                .versionMismatch, "index.json has version \(decoded.version), this keepctl reads \(Self.currentVersion)"
            )
        }
        self = decoded
    }

    /// Pretty, key-sorted JSON, stable enough to diff and to keep under version control.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// Certificates not yet revoked for `role` and `name`.
    public func active(role: PeerRole, name: String) -> [Entry] {
        certificates.filter { $0.role == role && $0.name == name && !$0.revoked }
    }

    /// What goes on the revocation list.
    public var revokedCertificates: [RevokedCertificate] {
        certificates.filter(\.revoked).map { RevokedCertificate(serial: $0.serial, revokedAt: $0.revokedAt ?? 0) }
    }
}
