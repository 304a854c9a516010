import KeepCore
import Testing

@testable import KeepCrypto

@Suite("PKI certificate verification")
struct PKIVerificationTests {
    let authority: CertificateAuthority
    let now = PKITestSupport.now

    init() throws {
        authority = try CertificateAuthority.create(name: "Keep CA")
    }

    @Test func acceptsACurrentCertificateOfItsCA() throws {
        let certificate = try PKITestSupport.agentCertificate(authority)
        try certificate.verify(issuedBy: authority.certificate, revocationList: nil, at: now)
        let list = try authority.revocationList(revokedSerials: [])
        try certificate.verify(issuedBy: authority.certificate, revocationList: list, at: now)
    }

    @Test func rejectsAnExpiredCertificate() throws {
        let certificate = try PKITestSupport.agentCertificate(
            authority, notBefore: now - 20 * PKITestSupport.day, notAfter: now - 10 * PKITestSupport.day)
        let error = #expect(throws: CertificateVerificationError.self) {
            try certificate.verify(issuedBy: authority.certificate, revocationList: nil, at: now)
        }
        #expect(error?.reason == .expired)
        #expect(error?.description.contains("expired") == true)
        #expect(error?.subject == "agent:web-01")
    }

    @Test func rejectsACertificateNotYetValid() throws {
        let certificate = try PKITestSupport.agentCertificate(
            authority, notBefore: now + PKITestSupport.day, notAfter: now + 10 * PKITestSupport.day)
        let error = #expect(throws: CertificateVerificationError.self) {
            try certificate.verify(issuedBy: authority.certificate, revocationList: nil, at: now)
        }
        #expect(error?.reason == .notYetValid)
    }

    @Test func rejectsACertificateOfAnotherCAWithTheSameName() throws {
        let other = try CertificateAuthority.create(name: "Keep CA")
        let certificate = try PKITestSupport.agentCertificate(other)
        let error = #expect(throws: CertificateVerificationError.self) {
            try certificate.verify(issuedBy: authority.certificate, revocationList: nil, at: now)
        }
        #expect(error?.reason == .unknownIssuer)
        #expect(error?.keepError.code == .tls)
    }

    @Test func rejectsARevokedCertificate() throws {
        let revoked = try PKITestSupport.agentCertificate(authority)
        let kept = try PKITestSupport.agentCertificate(authority, host: "web-02")
        let list = try authority.revocationList(revokedSerials: [revoked.serialNumber])
        let error = #expect(throws: CertificateVerificationError.self) {
            try revoked.verify(issuedBy: authority.certificate, revocationList: list, at: now)
        }
        #expect(error?.reason == .revoked)
        #expect(error?.keepError.code == .permissionDenied)
        try kept.verify(issuedBy: authority.certificate, revocationList: list, at: now)
    }

    @Test func rejectsARevocationListOfAnotherCAOrOutOfDate() throws {
        let certificate = try PKITestSupport.agentCertificate(authority)
        let foreign = try CertificateAuthority.create(name: "Other CA").revocationList(revokedSerials: [])
        let error = #expect(throws: CertificateVerificationError.self) {
            try certificate.verify(issuedBy: authority.certificate, revocationList: foreign, at: now)
        }
        #expect(error?.reason == .revocationListUnusable)

        let list = try authority.revocationList(revokedSerials: [], validityDays: 1, now: now)
        let stale = #expect(throws: CertificateVerificationError.self) {
            try certificate.verify(
                issuedBy: authority.certificate, revocationList: list, at: now + 2 * PKITestSupport.day)
        }
        #expect(stale?.reason == .revocationListUnusable)
    }
}
