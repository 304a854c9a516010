import Foundation
import KeepCommands
import KeepCore
import Testing

@testable import KeepCrypto

@Suite("keepctl pki commands")
struct PKICommandTests {
    @Test func initIssueRevokeEndToEnd() throws {
        try PKITestSupport.withTemporaryDirectory { temporary in
            let dir = temporary + "/pki"
            let pki = PKIDirectory(dir)
            try PKITestSupport.keepctlPKI(["init", "--dir", dir, "--name", "Test CA"])
            try PKITestSupport.keepctlPKI([
                "issue", "controller", "--dir", dir, "--name", "keep.example.net", "--ip", "10.0.0.5",
            ])
            try PKITestSupport.keepctlPKI(["issue", "agent", "--dir", dir, "--host", "web-01", "--pool", "fe-01"])
            try PKITestSupport.keepctlPKI(["issue", "operator", "--dir", dir, "--name", "alice", "--days", "30"])

            for file in [
                "ca.pem", "ca.key", "crl.pem", "index.json", "controllers/keep.example.net.pem",
                "controllers/keep.example.net.key", "agents/web-01.pem", "agents/web-01.key", "operators/alice.pem",
                "operators/alice.key",
            ] {
                #expect(FileManager.default.fileExists(atPath: dir + "/" + file), "\(file) missing")
            }
            for key in ["ca.key", "controllers/keep.example.net.key", "agents/web-01.key", "operators/alice.key"] {
                #expect(try PKITestSupport.mode(of: dir + "/" + key) == 0o600, "\(key) mode")
            }
            for directory in ["", "/agents", "/operators", "/controllers"] {
                #expect(try PKITestSupport.mode(of: dir + directory) == 0o700, "\(dir + directory) mode")
            }

            let authority = try pki.loadAuthority()
            #expect(authority.certificate.subjectCommonName == "Test CA")
            let agent = try Certificate.load(path: dir + "/agents/web-01.pem")
            #expect(agent.identity == PeerIdentity(role: .agent, name: "web-01", pool: "fe-01"))
            #expect(try PrivateKey.load(path: dir + "/agents/web-01.key").matches(agent))
            let controller = try Certificate.load(path: dir + "/controllers/keep.example.net.pem")
            #expect(controller.subjectAlternativeNames == ["DNS:keep.example.net", "IP:10.0.0.5"])
            let alice = try Certificate.load(path: dir + "/operators/alice.pem")
            #expect(alice.notAfter - alice.notBefore == 30 * PKITestSupport.day + 300)
            #expect(try pki.loadRevocationList().revokedSerials.isEmpty)
            try agent.verify(
                issuedBy: authority.certificate, revocationList: pki.loadRevocationList(), at: PKITestSupport.now)

            let index = try pki.loadIndex()
            #expect(index.certificates.map(\.name) == ["keep.example.net", "web-01", "alice"])
            #expect(index.certificates[1].serial == agent.serialNumber)
            #expect(index.certificates[1].pool == "fe-01")
            #expect(index.certificates[1].fingerprint == agent.fingerprintSHA256)

            try PKITestSupport.keepctlPKI(["revoke", "--dir", dir, "--host", "web-01"])
            let list = try pki.loadRevocationList()
            #expect(list.revokedSerials == [agent.serialNumber])
            let error = #expect(throws: CertificateVerificationError.self) {
                try agent.verify(issuedBy: authority.certificate, revocationList: list, at: PKITestSupport.now)
            }
            #expect(error?.reason == .revoked)
            #expect(try pki.loadIndex().certificates[1].revoked)
            #expect(try pki.loadIndex().certificates[1].revokedAt != nil)
            #expect(throws: KeepError.self) {
                try PKITestSupport.keepctlPKI(["revoke", "--dir", dir, "--host", "web-01"])
            }

            try PKITestSupport.keepctlPKI(["revoke", "--dir", dir, "--serial", String(alice.serialNumber.prefix(10))])
            #expect(Set(try pki.loadRevocationList().revokedSerials) == [agent.serialNumber, alice.serialNumber])
            try PKITestSupport.keepctlPKI(["list", "--dir", dir])
            try PKITestSupport.keepctlPKI(["list", "--dir", dir, "--json"])
            try PKITestSupport.keepctlPKI(["crl", "--dir", dir])
            #expect(try pki.loadRevocationList().revokedSerials.count == 2)
        }
    }

    @Test func issuingTwiceNeedsForceWhichRevokesTheOldCertificate() throws {
        try PKITestSupport.withTemporaryDirectory { dir in
            let pki = PKIDirectory(dir)
            try PKITestSupport.keepctlPKI(["init", "--dir", dir])
            let issue = ["issue", "agent", "--dir", dir, "--host", "web-01", "--pool", "fe-01"]
            try PKITestSupport.keepctlPKI(issue)
            let first = try Certificate.load(path: dir + "/agents/web-01.pem")

            let error = #expect(throws: KeepError.self) { try PKITestSupport.keepctlPKI(issue) }
            #expect(error?.code == .conflict)
            #expect(try Certificate.load(path: dir + "/agents/web-01.pem").serialNumber == first.serialNumber)

            try PKITestSupport.keepctlPKI(issue + ["--force"])
            let second = try Certificate.load(path: dir + "/agents/web-01.pem")
            #expect(second.serialNumber != first.serialNumber)
            #expect(try pki.loadRevocationList().revokedSerials == [first.serialNumber])
            #expect(try pki.loadIndex().active(role: .agent, name: "web-01").map(\.serial) == [second.serialNumber])
            #expect(try PKITestSupport.mode(of: dir + "/agents/web-01.key") == 0o600)

            // After an explicit revoke the name is free again.
            try PKITestSupport.keepctlPKI(["revoke", "--dir", dir, "--host", "web-01"])
            try PKITestSupport.keepctlPKI(issue)
        }
    }

    @Test func initRefusesToReplaceACA() throws {
        try PKITestSupport.withTemporaryDirectory { dir in
            try PKITestSupport.keepctlPKI(["init", "--dir", dir])
            let before = try String(contentsOfFile: dir + "/ca.pem", encoding: .utf8)
            let error = #expect(throws: KeepError.self) { try PKITestSupport.keepctlPKI(["init", "--dir", dir]) }
            #expect(error?.code == .conflict)
            #expect(try String(contentsOfFile: dir + "/ca.pem", encoding: .utf8) == before)
        }
    }

    @Test func commandsRefuseBadArguments() throws {
        try PKITestSupport.withTemporaryDirectory { dir in
            #expect(throws: KeepError.self) {
                try PKITestSupport.keepctlPKI(["issue", "agent", "--dir", dir, "--host", "web-01", "--pool", "fe-01"])
            }
            #expect(throws: (any Error).self) { try PKICommand.parseAsRoot(["revoke", "--dir", dir]) }
            #expect(throws: (any Error).self) {
                try PKICommand.parseAsRoot(["revoke", "--dir", dir, "--host", "a", "--serial", "0123456789"])
            }
            #expect(throws: (any Error).self) {
                try PKICommand.parseAsRoot(["issue", "agent", "--dir", dir, "--host", "../etc", "--pool", "fe-01"])
            }
            #expect(throws: (any Error).self) { try PKICommand.parseAsRoot(["issue", "agent", "--host", "web-01"]) }
        }
    }

    @Test func opensslAgreesWithTheIssuedFiles() throws {
        try PKITestSupport.withTemporaryDirectory { dir in
            try PKITestSupport.keepctlPKI(["init", "--dir", dir])
            try PKITestSupport.keepctlPKI(["issue", "agent", "--dir", dir, "--host", "web-01", "--pool", "fe-01"])
            let verify = try PKITestSupport.openssl(["verify", "-CAfile", dir + "/ca.pem", dir + "/agents/web-01.pem"])
            #expect(verify.status == 0, "\(verify.output)")

            let withCRL = [
                "verify", "-crl_check", "-CRLfile", dir + "/crl.pem", "-CAfile", dir + "/ca.pem",
                dir + "/agents/web-01.pem",
            ]
            #expect(try PKITestSupport.openssl(withCRL).status == 0)
            try PKITestSupport.keepctlPKI(["revoke", "--dir", dir, "--host", "web-01"])
            let revoked = try PKITestSupport.openssl(withCRL)
            #expect(revoked.status != 0)
            #expect(revoked.output.contains("revoked"))

            let agent = try Certificate.load(path: dir + "/agents/web-01.pem")
            let fingerprint = try PKITestSupport.openssl(
                ["x509", "-noout", "-fingerprint", "-sha256", "-serial", "-in", dir + "/agents/web-01.pem"])
            let text = fingerprint.output.lowercased().replacingOccurrences(of: ":", with: "")
            #expect(text.contains(agent.fingerprintSHA256))
            #expect(text.contains("serial=" + agent.serialNumber))
            let key = try PKITestSupport.openssl(["pkey", "-noout", "-text", "-in", dir + "/agents/web-01.key"])
            #expect(key.output.contains("prime256v1") || key.output.contains("P-256"))
        }
    }
}
