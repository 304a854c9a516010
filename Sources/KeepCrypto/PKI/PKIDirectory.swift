import Foundation
import KeepCore

/// The on-disk layout of Keep's PKI, shared by `keepctl pki` (which writes it) and the controller
/// and agent (which read their certificate, key, `ca.pem` and `crl.pem` from it):
///
/// ```
/// ca.pem  ca.key (0600)  crl.pem  index.json
/// controllers/<name>.pem + .key   agents/<host>.pem + .key   operators/<name>.pem + .key
/// ```
public struct PKIDirectory: Sendable, Hashable {
    /// The directory itself, as given (relative paths stay relative).
    public let root: String

    public init(_ root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    public var certificateAuthorityPath: String { path("ca.pem") }
    public var certificateAuthorityKeyPath: String { path("ca.key") }
    public var revocationListPath: String { path("crl.pem") }
    public var indexPath: String { path("index.json") }

    /// The subdirectory of a role's certificates: `agents`, `operators` or `controllers`.
    public static func subdirectory(for role: PeerRole) -> String {
        switch role {
        case .agent: "agents"
        case .operator: "operators"
        case .controller: "controllers"
        }
    }

    /// `agents/web-01.pem`, relative to `root`: what messages tell the operator to copy.
    public static func relativeCertificatePath(for identity: PeerIdentity) -> String {
        "\(subdirectory(for: identity.role))/\(identity.name).pem"
    }

    /// `agents/web-01.key`, relative to `root`.
    public static func relativeKeyPath(for identity: PeerIdentity) -> String {
        "\(subdirectory(for: identity.role))/\(identity.name).key"
    }

    public func directory(for role: PeerRole) -> String { path(Self.subdirectory(for: role)) }
    public func certificatePath(for identity: PeerIdentity) -> String {
        path(Self.relativeCertificatePath(for: identity))
    }
    public func keyPath(for identity: PeerIdentity) -> String { path(Self.relativeKeyPath(for: identity)) }

    /// Whether `ca.pem` or `ca.key` exists.
    public var hasCertificateAuthority: Bool {
        PKIFileWriter.exists(certificateAuthorityPath) || PKIFileWriter.exists(certificateAuthorityKeyPath)
    }

    /// The CA certificate with its key (needs `ca.key`: only where keepctl pki runs).
    public func loadAuthority() throws -> CertificateAuthority {
        guard hasCertificateAuthority else {
            throw KeepError(
                .notFound, "no CA in this PKI directory", context: root,
                hint: "run `keepctl pki init --dir \(root)` first, or pass the right --dir")
        }
        return try CertificateAuthority(
            certificate: Certificate.load(path: certificateAuthorityPath),
            key: PrivateKey.load(path: certificateAuthorityKeyPath))
    }

    /// The issued-certificate index; empty when the file does not exist yet.
    public func loadIndex() throws -> PKIIndex {
        guard PKIFileWriter.exists(indexPath) else { return PKIIndex() }
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            throw KeepError(.io, "cannot read the PKI index", context: indexPath, hint: "check the file's permissions")
        }
        do {
            return try PKIIndex(json: data)
        } catch let error as KeepError {
            throw KeepError(error.code, error.reason, context: indexPath, hint: error.hint)
        }
    }

    /// The current revocation list.
    public func loadRevocationList() throws -> CertificateRevocationList {
        try CertificateRevocationList.load(path: revocationListPath)
    }

    private func path(_ relative: String) -> String {
        root.hasSuffix("/") ? root + relative : root + "/" + relative
    }
}
