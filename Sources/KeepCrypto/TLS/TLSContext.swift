import COpenSSL
import Foundation
import KeepCore

/// Immutable TLS configuration shared by all connections of a process (wraps an `SSL_CTX`).
///
/// TLS 1.3 only, mutual authentication, and trust in the Keep CA alone. When a revocation list is configured,
/// the file is checked (modification time, size, inode) each time a connection starts; a change builds a fresh
/// `SSL_CTX`, so `keepctl pki revoke` takes effect for the next connection without a restart.
public final class TLSContext: @unchecked Sendable {
    /// Whether connections made with this context accept (controller) or dial (agent, keepctl).
    public let isServer: Bool
    /// Roles a peer certificate may carry; a client accepts only `controller`.
    public let acceptedRoles: Set<PeerRole>
    /// The name the client expects in the server certificate's DNS or IP SANs.
    public let serverName: String?

    private let settings: OpenSSLContext.Settings
    private let lock = NSLock()
    private var current: OpenSSLContext
    private var revocationStamp: FileStamp?

    /// Controller side. Requires and verifies a client certificate issued by `trustedCA` (PEM file path).
    ///
    /// - Parameters:
    ///   - revocationList: path of a PEM CRL; re-read whenever its modification time or size changes.
    ///   - acceptedRoles: roles a peer certificate may carry, e.g. `[.agent, .operator]`.
    public static func server(
        certificateChain: String, privateKey: String, trustedCA: String,
        revocationList: String?, acceptedRoles: Set<PeerRole>
    ) throws -> TLSContext {
        let settings = OpenSSLContext.Settings(
            isServer: true, certificateChain: certificateChain, privateKey: privateKey, trustedCA: trustedCA,
            revocationList: revocationList)
        return try TLSContext(settings: settings, acceptedRoles: acceptedRoles, serverName: nil)
    }

    /// Agent/keepctl side. Presents its certificate; verifies the server chains to `trustedCA` and carries the
    /// `controller` role; when `serverName` is given, also checks it against the certificate's DNS/IP SANs.
    public static func client(
        certificateChain: String, privateKey: String, trustedCA: String, serverName: String?
    ) throws -> TLSContext {
        try makeClient(
            certificateChain: certificateChain, privateKey: privateKey, trustedCA: trustedCA, serverName: serverName)
    }

    /// A client context that may present no certificate at all: only tests use it, to check that servers refuse it.
    static func makeClient(
        certificateChain: String?, privateKey: String?, trustedCA: String, serverName: String?
    ) throws -> TLSContext {
        let settings = OpenSSLContext.Settings(
            isServer: false, certificateChain: certificateChain, privateKey: privateKey, trustedCA: trustedCA,
            revocationList: nil)
        return try TLSContext(settings: settings, acceptedRoles: [.controller], serverName: serverName)
    }

    private init(settings: OpenSSLContext.Settings, acceptedRoles: Set<PeerRole>, serverName: String?) throws {
        self.settings = settings
        self.isServer = settings.isServer
        self.acceptedRoles = acceptedRoles
        self.serverName = serverName
        self.revocationStamp = settings.revocationList.flatMap(FileStamp.init(path:))
        self.current = try OpenSSLContext(settings)
    }

    /// The `SSL_CTX` for a new connection, rebuilt first if the revocation list changed on disk.
    ///
    /// If the new file cannot be used (for example it is being rewritten), the previous context stays in use and
    /// the reload is retried on the next connection.
    func contextForNewConnection() -> OpenSSLContext {
        lock.lock()
        defer { lock.unlock() }
        guard let path = settings.revocationList else { return current }
        let stamp = FileStamp(path: path)
        guard stamp != revocationStamp, let rebuilt = try? OpenSSLContext(settings) else { return current }
        current = rebuilt
        revocationStamp = stamp
        return current
    }
}

/// What identifies one version of a file cheaply: a rewrite or a replace-by-rename changes at least one field.
struct FileStamp: Equatable {
    let modified: Date
    let size: UInt64
    let inode: UInt64

    init?(path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date
        else { return nil }
        self.modified = modified
        self.size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        self.inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }
}
