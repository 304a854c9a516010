import Foundation
import KeepCore
import KeepCrypto

/// A throwaway PKI for the benchmark: a CA, a controller certificate for 127.0.0.1 and one agent certificate.
struct BenchPKI {
    static let agent = PeerIdentity(role: .agent, name: "bench", pool: "bench")
    static let controller = PeerIdentity(role: .controller, name: "127.0.0.1")

    let directory: PKIDirectory

    /// Uses `path` if it already holds the certificates, otherwise creates them there.
    static func prepare(at path: String) throws -> BenchPKI {
        let directory = PKIDirectory(path)
        if !FileManager.default.fileExists(atPath: directory.certificatePath(for: agent)) {
            if !directory.hasCertificateAuthority {
                try directory.initialize(name: "Keep bench CA", validityDays: 2)
            }
            _ = try directory.issue(for: controller, validityDays: 2)
            _ = try directory.issue(for: agent, validityDays: 2)
        }
        return BenchPKI(directory: directory)
    }

    func serverContext() throws -> TLSContext {
        try TLSContext.server(
            certificateChain: directory.certificatePath(for: Self.controller),
            privateKey: directory.keyPath(for: Self.controller),
            trustedCA: directory.certificateAuthorityPath, revocationList: nil, acceptedRoles: [.agent])
    }

    func clientContext() throws -> TLSContext {
        try TLSContext.client(
            certificateChain: directory.certificatePath(for: Self.agent),
            privateKey: directory.keyPath(for: Self.agent),
            trustedCA: directory.certificateAuthorityPath, serverName: Self.controller.name)
    }
}
