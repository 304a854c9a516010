import COpenSSL
import KeepCore

/// Keep's small certificate authority: a self-signed P-256 CA that issues the agent, operator and
/// controller certificates and signs the revocation list.
public struct CertificateAuthority: Sendable {
    /// The self-signed CA certificate that every peer trusts (`ca.pem`).
    public let certificate: Certificate
    /// The CA's signing key (`ca.key`, mode 0600).
    public let key: PrivateKey

    /// Pairs a CA certificate with its key; refuses a key that does not match or a certificate
    /// that is not a CA, so a mix-up surfaces here rather than as unverifiable certificates later.
    public init(certificate: Certificate, key: PrivateKey) throws {
        guard certificate.isCertificateAuthority else {
            throw KeepError(
                .configuration, "the certificate is not a CA certificate",
                context: certificate.subjectCommonName, hint: "use the ca.pem written by `keepctl pki init`")
        }
        guard key.matches(certificate) else {
            throw KeepError(
                .configuration, "the CA key does not belong to the CA certificate",
                context: certificate.subjectCommonName, hint: "use ca.key and ca.pem from the same `keepctl pki init`")
        }
        self.certificate = certificate
        self.key = key
    }

    /// A new CA named `name` (its common name), valid from 5 minutes before `now` for
    /// `validityDays` days.
    public static func create(name: String, validityDays: Int = 3650, now: Int64 = ASN1Values.now()) throws
        -> CertificateAuthority
    {
        guard !name.isEmpty, name.utf8.count <= 64 else {
            throw KeepError(.configuration, "a CA name must have 1 to 64 characters", context: name)
        }
        guard validityDays > 0 else {
            throw KeepError(.configuration, "a CA must be valid for at least one day", context: "\(validityDays) days")
        }
        let key = try PrivateKey.generateP256()
        let subject = try X509Names.makeName(commonName: name, organizationalUnit: nil)
        defer { X509_NAME_free(subject) }
        let builder = try X509Builder(
            subject: subject, issuer: nil, publicKey: key,
            notBefore: now - clockSkewAllowance, notAfter: now + Int64(validityDays) * 86400)
        try builder.addExtension(NID_basic_constraints, "critical,CA:TRUE,pathlen:0", issuer: nil)
        try builder.addExtension(NID_key_usage, "critical,keyCertSign,cRLSign", issuer: nil)
        try builder.addExtension(NID_subject_key_identifier, "hash", issuer: nil)
        try builder.addExtension(NID_authority_key_identifier, "keyid:always", issuer: nil)
        return try CertificateAuthority(certificate: builder.sign(with: key), key: key)
    }

    /// Issues a leaf certificate for `identity` over the public half of `key`, valid from
    /// `notBefore` to `notAfter` (Unix seconds; tests pass past dates to make expired certificates).
    ///
    /// The subject is `CN=<role>:<name>` plus `OU=<pool>` for agents. Controllers get
    /// `serverAuth` and the given DNS/IP subject alternative names; agents and operators
    /// `clientAuth`.
    public func issue(
        for identity: PeerIdentity, publicKeyOf key: PrivateKey, dnsNames: [String] = [], ipAddresses: [String] = [],
        notBefore: Int64, notAfter: Int64
    ) throws -> Certificate {
        try Self.validate(identity)
        let alternativeNames = try Self.alternativeNames(dnsNames: dnsNames, ipAddresses: ipAddresses)
        let subject = try X509Names.makeName(commonName: identity.commonName, organizationalUnit: identity.pool)
        defer { X509_NAME_free(subject) }
        let builder = try X509Builder(
            subject: subject, issuer: certificate, publicKey: key, notBefore: notBefore, notAfter: notAfter)
        try builder.addExtension(NID_basic_constraints, "critical,CA:FALSE", issuer: certificate)
        try builder.addExtension(NID_key_usage, "critical,digitalSignature", issuer: certificate)
        let purpose = identity.role == .controller ? "serverAuth" : "clientAuth"
        try builder.addExtension(NID_ext_key_usage, purpose, issuer: certificate)
        try builder.addExtension(NID_subject_key_identifier, "hash", issuer: certificate)
        try builder.addExtension(NID_authority_key_identifier, "keyid:always", issuer: certificate)
        if !alternativeNames.isEmpty {
            try builder.addExtension(NID_subject_alt_name, alternativeNames.joined(separator: ","), issuer: certificate)
        }
        return try builder.sign(with: self.key)
    }

    /// Issues a leaf certificate valid from 5 minutes before `now` (clock skew) for `validityDays`.
    public func issue(
        for identity: PeerIdentity, publicKeyOf key: PrivateKey, dnsNames: [String] = [], ipAddresses: [String] = [],
        validityDays: Int, now: Int64 = ASN1Values.now()
    ) throws -> Certificate {
        guard validityDays > 0 else {
            throw KeepError(
                .configuration, "a certificate must be valid for at least one day", context: "\(validityDays) days")
        }
        return try issue(
            for: identity, publicKeyOf: key, dnsNames: dnsNames, ipAddresses: ipAddresses,
            notBefore: now - clockSkewAllowance, notAfter: now + Int64(validityDays) * 86400)
    }

    /// How far back certificates and revocation lists are dated, so that peers whose clocks run
    /// a little behind still accept them.
    public static let clockSkewAllowance: Int64 = 300

    private var clockSkewAllowance: Int64 { Self.clockSkewAllowance }

    private static func validate(_ identity: PeerIdentity) throws {
        guard Name.isValid(identity.name) else {
            throw KeepError(
                .configuration, "invalid \(identity.role.rawValue) name", context: identity.name,
                hint: "use letters, digits, '.', '-' and '_', starting with a letter or digit")
        }
        switch (identity.role, identity.pool) {
        case (.agent, .some(let pool)) where Name.isValid(pool):
            return
        case (.agent, _):
            throw KeepError(
                .configuration, "an agent certificate needs a valid pool", context: identity.name,
                hint: "pass the pool the host belongs to, e.g. --pool fe-01")
        case (_, .some):
            throw KeepError(.configuration, "only agent certificates carry a pool", context: identity.commonName)
        case (_, .none):
            return
        }
    }

    private static func alternativeNames(dnsNames: [String], ipAddresses: [String]) throws -> [String] {
        var names = [String]()
        for dnsName in dnsNames {
            guard X509Names.isDNSName(dnsName) else {
                throw KeepError(.configuration, "invalid DNS name for a certificate", context: dnsName)
            }
            names.append("DNS:" + dnsName)
        }
        for address in ipAddresses {
            guard X509Names.isIPAddress(address) else {
                throw KeepError(.configuration, "invalid IP address for a certificate", context: address)
            }
            names.append("IP:" + address)
        }
        return names
    }
}
