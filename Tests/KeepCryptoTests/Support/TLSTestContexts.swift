import Foundation
import KeepCore

@testable import KeepCrypto

/// Builds the contexts the TLS tests use from a set of test certificates.
extension TestCertificates {
    func serverContext(
        revocationList: String? = nil, acceptedRoles: Set<PeerRole> = [.agent, .operator], identity: Pair? = nil
    ) throws -> TLSContext {
        let identity = identity ?? controller
        return try TLSContext.server(
            certificateChain: identity.certificate, privateKey: identity.key, trustedCA: caCertificate,
            revocationList: revocationList, acceptedRoles: acceptedRoles)
    }

    func clientContext(_ identity: Pair?, serverName: String? = "localhost") throws -> TLSContext {
        try TLSContext.makeClient(
            certificateChain: identity?.certificate, privateKey: identity?.key, trustedCA: caCertificate,
            serverName: serverName)
    }

    /// Random bytes for payloads.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count { withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) } }
        return Array(bytes.prefix(count))
    }
}
