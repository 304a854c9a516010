import Foundation
import KeepCore

extension PKIDirectory {
    /// What `issue(for:…)` produced.
    public struct IssuedCertificate: Sendable {
        public var certificate: Certificate
        public var certificatePath: String
        public var keyPath: String
        /// Certificates for the same identity that were revoked because of `force`.
        public var replaced: [PKIIndex.Entry]
    }

    /// Which certificates `revoke(_:)` revokes.
    public enum RevocationTarget: Sendable, Hashable {
        /// Every unrevoked certificate of this role and name.
        case identity(role: PeerRole, name: String)
        /// The certificate with this serial, or the only one whose serial starts with it (at least
        /// 8 hex digits, as `keepctl pki list` shows).
        case serial(String)
    }

    /// Validity of the revocation list written by every operation; `keepctl pki crl` renews it.
    public static let revocationListValidityDays = 30

    /// Creates the directory (0700), a new CA, an empty revocation list and an empty index.
    /// Refuses when a CA already exists: replacing it would silently invalidate every certificate.
    @discardableResult
    public func initialize(name: String, validityDays: Int, now: Int64 = ASN1Values.now()) throws
        -> CertificateAuthority
    {
        try PKIFileWriter.makeDirectory(root)
        return try withLock {
            guard !hasCertificateAuthority else {
                throw KeepError(
                    .conflict, "a CA already exists in this PKI directory", context: root,
                    hint: "keep using it, or pick another --dir; replacing it would invalidate every issued certificate"
                )
            }
            let authority = try CertificateAuthority.create(name: name, validityDays: validityDays, now: now)
            try PKIFileWriter.write(
                authority.key.pemEncoded(), to: certificateAuthorityKeyPath, mode: PKIFileWriter.privateMode)
            try PKIFileWriter.write(
                authority.certificate.pemEncoded(), to: certificateAuthorityPath, mode: PKIFileWriter.publicMode)
            try writeRevocationList(PKIIndex(), authority: authority, now: now)
            try PKIFileWriter.write(PKIIndex().jsonText(), to: indexPath, mode: PKIFileWriter.publicMode)
            return authority
        }
    }

    /// Generates a key and issues a certificate for `identity`, writing `<role>s/<name>.pem` and
    /// `.key` (0600) and recording it in the index.
    ///
    /// Refuses when an unrevoked certificate for the same role and name exists, unless `force`,
    /// which revokes the old one (and rewrites the revocation list). A controller's name is added
    /// to its subject alternative names (as an IP address when it is one).
    public func issue(
        for identity: PeerIdentity, dnsNames: [String] = [], ipAddresses: [String] = [], validityDays: Int,
        force: Bool = false, now: Int64 = ASN1Values.now()
    ) throws -> IssuedCertificate {
        guard Name.isValid(identity.name) else {
            throw KeepError(
                .configuration, "invalid \(identity.role.rawValue) name", context: identity.name,
                hint: "use letters, digits, '.', '-' and '_', starting with a letter or digit")
        }
        return try withLock {
            let authority = try loadAuthority()
            var index = try loadIndex()
            let certificatePath = certificatePath(for: identity)
            let keyPath = keyPath(for: identity)
            let active = index.active(role: identity.role, name: identity.name)
            let knownName = index.certificates.contains { $0.role == identity.role && $0.name == identity.name }
            let strayFiles = !knownName && (PKIFileWriter.exists(certificatePath) || PKIFileWriter.exists(keyPath))
            if !force, !active.isEmpty || strayFiles {
                let serials = active.map(\.serial).joined(separator: ", ")
                throw KeepError(
                    .conflict, "\(identity.commonName) already has a certificate",
                    context: active.isEmpty ? certificatePath : "serial \(serials)",
                    hint: "pass --force to replace it (the old certificate is revoked)")
            }

            var (dns, ips) = (dnsNames, ipAddresses)
            if identity.role == .controller {
                if X509Names.isIPAddress(identity.name) {
                    if !ips.contains(identity.name) { ips.insert(identity.name, at: 0) }
                } else if !dns.contains(identity.name) {
                    dns.insert(identity.name, at: 0)
                }
            }
            let key = try PrivateKey.generateP256()
            let certificate = try authority.issue(
                for: identity, publicKeyOf: key, dnsNames: dns, ipAddresses: ips, validityDays: validityDays, now: now)

            try PKIFileWriter.makeDirectory(directory(for: identity.role))
            try PKIFileWriter.write(key.pemEncoded(), to: keyPath, mode: PKIFileWriter.privateMode)
            try PKIFileWriter.write(certificate.pemEncoded(), to: certificatePath, mode: PKIFileWriter.publicMode)

            var replaced = [PKIIndex.Entry]()
            for position in index.certificates.indices where active.contains(index.certificates[position]) {
                index.certificates[position].revoked = true
                index.certificates[position].revokedAt = now
                replaced.append(index.certificates[position])
            }
            index.certificates.append(
                PKIIndex.Entry(
                    serial: certificate.serialNumber, role: identity.role, name: identity.name, pool: identity.pool,
                    fingerprint: certificate.fingerprintSHA256, notBefore: certificate.notBefore,
                    notAfter: certificate.notAfter))
            try PKIFileWriter.write(index.jsonText(), to: indexPath, mode: PKIFileWriter.publicMode)
            if !replaced.isEmpty { try writeRevocationList(index, authority: authority, now: now) }
            return IssuedCertificate(
                certificate: certificate, certificatePath: certificatePath, keyPath: keyPath, replaced: replaced)
        }
    }

    /// Marks the target's certificates revoked in the index and atomically rewrites `crl.pem`.
    /// Returns the entries it revoked.
    @discardableResult
    public func revoke(_ target: RevocationTarget, now: Int64 = ASN1Values.now()) throws -> [PKIIndex.Entry] {
        try withLock {
            let authority = try loadAuthority()
            var index = try loadIndex()
            let positions = try Self.positions(of: target, in: index)
            for position in positions {
                index.certificates[position].revoked = true
                index.certificates[position].revokedAt = now
            }
            try PKIFileWriter.write(index.jsonText(), to: indexPath, mode: PKIFileWriter.publicMode)
            try writeRevocationList(index, authority: authority, now: now)
            return positions.map { index.certificates[$0] }
        }
    }

    /// Re-signs `crl.pem` from the index with a fresh validity period; run it before the list's
    /// next-update time (e.g. weekly from cron), or peers start refusing every certificate.
    @discardableResult
    public func refreshRevocationList(now: Int64 = ASN1Values.now()) throws -> CertificateRevocationList {
        try withLock {
            try writeRevocationList(loadIndex(), authority: loadAuthority(), now: now)
        }
    }

    @discardableResult
    private func writeRevocationList(_ index: PKIIndex, authority: CertificateAuthority, now: Int64) throws
        -> CertificateRevocationList
    {
        let list = try authority.revocationList(
            revoked: index.revokedCertificates, validityDays: Self.revocationListValidityDays, now: now)
        try PKIFileWriter.write(list.pemEncoded(), to: revocationListPath, mode: PKIFileWriter.publicMode)
        return list
    }

    private static func positions(of target: RevocationTarget, in index: PKIIndex) throws -> [Int] {
        switch target {
        case .identity(let role, let name):
            let positions = index.certificates.indices.filter {
                index.certificates[$0].role == role && index.certificates[$0].name == name
                    && !index.certificates[$0].revoked
            }
            guard !positions.isEmpty else {
                throw KeepError(
                    .notFound, "no unrevoked certificate for \(role.rawValue):\(name)",
                    hint: "see `keepctl pki list` for what was issued")
            }
            return positions
        case .serial(let text):
            guard let serial = ASN1Values.normalizedSerial(text), text.filter(\.isHexDigit).count >= 8 else {
                throw KeepError(.configuration, "a serial needs at least 8 hex digits", context: text)
            }
            let matches = index.certificates.indices.filter { index.certificates[$0].serial.hasPrefix(serial) }
            guard matches.count == 1, let position = matches.first else {
                throw KeepError(
                    matches.isEmpty ? .notFound : .conflict,
                    matches.isEmpty
                        ? "no issued certificate has this serial" : "several certificates match this serial",
                    context: text, hint: "see `keepctl pki list` (the full serial is in `keepctl pki list --json`)")
            }
            guard !index.certificates[position].revoked else {
                throw KeepError(
                    .conflict, "the certificate is already revoked", context: index.certificates[position].serial)
            }
            return [position]
        }
    }

    /// Serialises the operations of concurrent `keepctl pki` runs on this directory.
    private func withLock<T>(_ body: () throws -> T) throws -> T {
        let lockPath = root + "/.lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, PKIFileWriter.privateMode)
        guard descriptor >= 0 else { throw PKIFileWriter.ioError("cannot open the lock file", lockPath) }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw PKIFileWriter.ioError("cannot lock", lockPath) }
        return try body()
    }
}
