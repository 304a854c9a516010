import Foundation
import KeepCore
import Testing

@testable import KeepCrypto

@Suite("PKI keys, certificates and revocation lists")
struct PKICertificateTests {
    @Test func privateKeyRoundTripsThroughPKCS8PEM() throws {
        let key = try PrivateKey.generateP256()
        let pem = try key.pemEncoded()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let parsed = try PrivateKey(pem: pem)
        #expect(try parsed.pemEncoded() == pem)
        #expect(try PrivateKey.generateP256().pemEncoded() != pem)
    }

    @Test func garbageIsNotAKeyOrCertificate() {
        #expect(throws: KeepError.self) {
            try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        }
        #expect(throws: KeepError.self) { try Certificate(pem: "hello") }
        #expect(throws: KeepError.self) { try CertificateRevocationList(pem: "") }
    }

    @Test func certificateAuthorityIsSelfSignedCA() throws {
        let now = PKITestSupport.now
        let authority = try CertificateAuthority.create(name: "Keep CA", validityDays: 100, now: now)
        let certificate = authority.certificate
        #expect(certificate.isCertificateAuthority)
        #expect(certificate.subjectCommonName == "Keep CA")
        #expect(certificate.issuerCommonName == "Keep CA")
        #expect(certificate.identity == nil)
        #expect(certificate.notBefore == now - 300)
        #expect(certificate.notAfter == now + 100 * PKITestSupport.day)

        let parsed = try Certificate(pem: certificate.pemEncoded())
        #expect(parsed.fingerprintSHA256 == certificate.fingerprintSHA256)
        #expect(parsed.serialNumber == certificate.serialNumber)
        #expect(try parsed.derEncoded() == certificate.derEncoded())
        #expect(
            try CertificateAuthority(certificate: parsed, key: PrivateKey(pem: authority.key.pemEncoded()))
                .certificate.serialNumber == certificate.serialNumber)
    }

    @Test func certificateAuthorityRefusesAForeignKey() throws {
        let authority = try CertificateAuthority.create(name: "Keep CA")
        let error = #expect(throws: KeepError.self) {
            try CertificateAuthority(certificate: authority.certificate, key: PrivateKey.generateP256())
        }
        #expect(error?.code == .configuration)
    }

    @Test func agentCertificateCarriesItsIdentity() throws {
        let authority = try CertificateAuthority.create(name: "Keep CA")
        let notBefore: Int64 = 1_800_000_000
        let notAfter = notBefore + 825 * PKITestSupport.day
        let certificate = try PKITestSupport.agentCertificate(authority, notBefore: notBefore, notAfter: notAfter)
        let parsed = try Certificate(pem: certificate.pemEncoded())

        #expect(parsed.identity == PeerIdentity(role: .agent, name: "web-01", pool: "fe-01"))
        #expect(parsed.subjectCommonName == "agent:web-01")
        #expect(parsed.subjectOrganizationalUnit == "fe-01")
        #expect(parsed.issuerCommonName == "Keep CA")
        #expect(parsed.notBefore == notBefore)
        #expect(parsed.notAfter == notAfter)
        #expect(parsed.subjectAlternativeNames.isEmpty)
        #expect(!parsed.isCertificateAuthority)
        #expect(parsed.serialNumber.count == 32)
        #expect(parsed.serialNumber == parsed.serialNumber.lowercased())
        #expect(parsed.serialNumber == certificate.serialNumber)
        #expect(parsed.fingerprintSHA256.count == 64)
        #expect(try PKITestSupport.agentCertificate(authority).serialNumber != parsed.serialNumber)
    }

    @Test func controllerCertificateCarriesAlternativeNames() throws {
        let authority = try CertificateAuthority.create(name: "Keep CA")
        let certificate = try authority.issue(
            for: PeerIdentity(role: .controller, name: "keep.example.net"), publicKeyOf: PrivateKey.generateP256(),
            dnsNames: ["keep.example.net", "backup"], ipAddresses: ["10.0.0.5", "::1"], validityDays: 825)
        #expect(certificate.identity == PeerIdentity(role: .controller, name: "keep.example.net"))
        #expect(
            certificate.subjectAlternativeNames == ["DNS:keep.example.net", "DNS:backup", "IP:10.0.0.5", "IP:::1"])
    }

    @Test func issueRefusesInvalidIdentitiesAndNames() throws {
        let authority = try CertificateAuthority.create(name: "Keep CA")
        let key = try PrivateKey.generateP256()
        #expect(throws: KeepError.self) {
            try authority.issue(for: PeerIdentity(role: .agent, name: "web-01"), publicKeyOf: key, validityDays: 1)
        }
        #expect(throws: KeepError.self) {
            try authority.issue(for: PeerIdentity(role: .operator, name: "../alice"), publicKeyOf: key, validityDays: 1)
        }
        #expect(throws: KeepError.self) {
            try authority.issue(
                for: PeerIdentity(role: .controller, name: "keep"), publicKeyOf: key, dnsNames: ["a,IP:1.2.3.4"],
                validityDays: 1)
        }
        #expect(throws: KeepError.self) {
            try authority.issue(
                for: PeerIdentity(role: .controller, name: "keep"), publicKeyOf: key, ipAddresses: ["10.0.0.256"],
                validityDays: 1)
        }
    }

    @Test func subjectLongerThanX509AllowsIsAClearError() throws {
        let authority = try CertificateAuthority.create(name: "Keep CA")
        let host = String(repeating: "h", count: 70)
        let error = #expect(throws: KeepError.self) { try PKITestSupport.agentCertificate(authority, host: host) }
        #expect(error?.hint?.contains("64 characters") == true)
    }

    @Test func revocationListRoundTripsThroughPEM() throws {
        let authority = try CertificateAuthority.create(name: "Keep CA")
        let first = try PKITestSupport.agentCertificate(authority)
        let second = try PKITestSupport.agentCertificate(authority, host: "web-02")
        let now = PKITestSupport.now
        let list = try authority.revocationList(
            revokedSerials: [first.serialNumber, second.serialNumber.uppercased()], validityDays: 7, now: now)
        let parsed = try CertificateRevocationList(pem: list.pemEncoded())

        #expect(Set(parsed.revokedSerials) == [first.serialNumber, second.serialNumber])
        #expect(parsed.contains(serial: first.serialNumber))
        #expect(!parsed.contains(serial: try PKITestSupport.agentCertificate(authority).serialNumber))
        #expect(parsed.issuerCommonName == "Keep CA")
        #expect(parsed.lastUpdate == now - 300)
        #expect(parsed.nextUpdate == now + 7 * PKITestSupport.day)
        try parsed.verifySignature(by: authority.certificate)
        let other = try CertificateAuthority.create(name: "Keep CA")
        #expect(throws: KeepError.self) { try parsed.verifySignature(by: other.certificate) }
        #expect(try authority.revocationList(revokedSerials: []).revokedSerials.isEmpty)
    }
}
