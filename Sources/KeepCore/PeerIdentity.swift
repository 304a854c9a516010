/// The role a certificate grants its holder. Keep never takes a role from a message: it is read
/// from the peer's verified certificate.
public enum PeerRole: String, Sendable, Hashable, Codable, CaseIterable {
    case agent
    case `operator`
    case controller
}

/// Who is at the other end of a verified TLS connection.
///
/// Certificates carry it in their subject: the common name is `<role>:<name>` (for example
/// `agent:web-01`, `operator:alice`, `controller:keep.example.net`) and, for agents, the
/// organizational unit is the pool (`fe-01`).
public struct PeerIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    public var role: PeerRole
    /// Host id for an agent, operator name for an operator, DNS name for a controller.
    public var name: String
    /// The pool of an agent; `nil` for other roles.
    public var pool: String?

    public init(role: PeerRole, name: String, pool: String? = nil) {
        self.role = role
        self.name = name
        self.pool = pool
    }

    /// Parses the identity carried by a certificate subject. Returns `nil` when the common name does
    /// not have the `<role>:<name>` shape, when the name is not a valid Keep name, or when an agent
    /// certificate names no valid pool.
    public init?(commonName: String, organizationalUnit: String?) {
        guard let colon = commonName.firstIndex(of: ":"),
            let role = PeerRole(rawValue: String(commonName[..<colon]))
        else { return nil }
        let name = String(commonName[commonName.index(after: colon)...])
        guard Name.isValid(name) else { return nil }
        if role == .agent {
            guard let pool = organizationalUnit, Name.isValid(pool) else { return nil }
            self.init(role: role, name: name, pool: pool)
        } else {
            self.init(role: role, name: name, pool: nil)
        }
    }

    /// The certificate common name for this identity.
    public var commonName: String { "\(role.rawValue):\(name)" }

    public var description: String {
        if let pool { return "\(commonName) (pool \(pool))" }
        return commonName
    }
}

/// Rules for host ids, pool names and operator names: 1–253 characters of letters, digits,
/// `.`, `-` and `_`, starting with a letter or digit. They appear in paths, logs and certificates,
/// so nothing else is allowed.
public enum Name {
    public static func isValid(_ name: String) -> Bool {
        guard (1...253).contains(name.utf8.count), let first = name.utf8.first else { return false }
        guard isAlphanumeric(first) else { return false }
        return name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
