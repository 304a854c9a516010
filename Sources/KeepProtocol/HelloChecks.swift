import KeepCore

/// The identity rules for Hello: a message never overrides the certificate, it must agree with it.
enum HelloChecks {
    /// Why `hello` must be refused for a peer whose certificate says `peer`, or `nil` if it agrees.
    static func identityRefusal(_ hello: Keep_V1_Hello, peer: PeerIdentity) -> KeepError? {
        guard let certified = peer.role.wireRole else {
            return KeepError(
                .permissionDenied, "a \(peer.role.rawValue) certificate cannot open a client session",
                context: peer.description, hint: "use an agent or operator certificate"
            )
        }
        guard hello.role == certified else {
            return KeepError(
                .identityMismatch,
                "Hello claims role \(name(of: hello.role)) but the certificate grants \(peer.role.rawValue)",
                context: peer.description,
                hint: "use the certificate issued for this role (keepctl pki) or fix the client's configuration"
            )
        }
        guard peer.role == .agent else { return nil }
        guard hello.hostID == peer.name, hello.pool == (peer.pool ?? "") else {
            return KeepError(
                .identityMismatch,
                "agent says it is host \(hello.hostID) in pool \(hello.pool) but its certificate names host "
                    + "\(peer.name) in pool \(peer.pool ?? "(none)")",
                context: peer.description,
                hint: "fix host_id and pool in the agent's configuration, or enrol the host again for its new name"
            )
        }
        return nil
    }

    private static func name(of role: Keep_V1_Role) -> String {
        switch role {
        case .agent: "agent"
        case .operator: "operator"
        case .unspecified: "(unspecified)"
        case .UNRECOGNIZED(let value): "unknown (\(value))"
        }
    }
}
