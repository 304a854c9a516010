import Foundation

/// A throwaway Keep CA and the certificates the TLS tests need, made with the `openssl` command-line tool in a
/// temporary directory (removed by `remove()`).
final class TestCertificates: @unchecked Sendable {
    let directory: URL
    /// PEM paths of one certificate and its key.
    struct Pair {
        let certificate: String
        let key: String
    }

    var caCertificate: String { path("ca.pem") }
    var controller: Pair { pair("controller") }
    var agent: Pair { pair("agent") }
    var operatorAlice: Pair { pair("operator") }
    var otherCA: Pair { pair("other") }
    var expired: Pair { pair("expired") }
    var revoked: Pair { pair("revoked") }
    var noIdentity: Pair { pair("noidentity") }
    /// A CRL issued before `revoked` was revoked, and one after.
    var emptyCRL: String { path("crl-empty.pem") }
    var revokingCRL: String { path("crl-revoked.pem") }

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("keep-tls-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("newcerts"), withIntermediateDirectories: true)
        try Data().write(to: directory.appendingPathComponent("index.txt"))
        try Data("1000\n".utf8).write(to: directory.appendingPathComponent("serial"))
        try Data("1000\n".utf8).write(to: directory.appendingPathComponent("crlnumber"))
        try Data(config.utf8).write(to: directory.appendingPathComponent("openssl.cnf"))
        try generate()
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func pair(_ name: String) -> Pair { Pair(certificate: path("\(name).pem"), key: path("\(name).key")) }

    private func generate() throws {
        let cnf = path("openssl.cnf")
        try openssl(
            "req", "-config", cnf, "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "3650", "-subj", "/CN=Keep Test CA",
            "-extensions", "v3_ca")
        try issue("controller", subject: "/CN=controller:localhost", extensions: "controller")
        try issue("agent", subject: "/CN=agent:web-01/OU=fe-01")
        try issue("operator", subject: "/CN=operator:alice")
        try issue("noidentity", subject: "/CN=web-01")
        try issue("expired", subject: "/CN=agent:old-01/OU=fe-01", dates: ("20200101000000Z", "20210101000000Z"))
        try issue("revoked", subject: "/CN=agent:lost-01/OU=fe-01")
        try openssl("ca", "-config", cnf, "-batch", "-gencrl", "-out", path("crl-empty.pem"))
        try openssl("ca", "-config", cnf, "-batch", "-revoke", path("revoked.pem"))
        try openssl("ca", "-config", cnf, "-batch", "-gencrl", "-out", path("crl-revoked.pem"))
        // A second CA, unknown to the Keep CA's peers, and an agent certificate from it.
        try openssl(
            "req", "-config", cnf, "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", path("otherca.key"), "-out", path("otherca.pem"), "-days", "3650", "-subj", "/CN=Other CA",
            "-extensions", "v3_ca")
        try request("other", subject: "/CN=agent:web-01/OU=fe-01")
        try openssl(
            "x509", "-req", "-in", path("other.csr"), "-CA", path("otherca.pem"), "-CAkey", path("otherca.key"),
            "-CAcreateserial", "-days", "30", "-extfile", cnf, "-extensions", "leaf", "-out", path("other.pem"))
    }

    private func request(_ name: String, subject: String) throws {
        try openssl(
            "req", "-config", path("openssl.cnf"), "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject)
    }

    private func issue(
        _ name: String, subject: String, extensions: String = "leaf", dates: (String, String)? = nil
    ) throws {
        try request(name, subject: subject)
        var arguments = [
            "ca", "-config", path("openssl.cnf"), "-batch", "-notext", "-in", path("\(name).csr"),
            "-out", path("\(name).pem"), "-extensions", extensions,
        ]
        if let (start, end) = dates { arguments += ["-startdate", start, "-enddate", end] }
        try openssl(arguments)
    }

    private func openssl(_ arguments: String...) throws { try openssl(arguments) }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestCertificateError(
                command: arguments.joined(separator: " "), output: String(decoding: message, as: UTF8.self))
        }
    }

    private var config: String {
        """
        [ ca ]
        default_ca = keep
        [ keep ]
        dir = \(directory.path)
        database = $dir/index.txt
        new_certs_dir = $dir/newcerts
        certificate = $dir/ca.pem
        private_key = $dir/ca.key
        serial = $dir/serial
        crlnumber = $dir/crlnumber
        default_md = sha256
        default_days = 30
        default_crl_days = 30
        policy = any
        unique_subject = no
        email_in_dn = no
        [ any ]
        commonName = supplied
        organizationalUnitName = optional
        [ req ]
        distinguished_name = dn
        [ dn ]
        [ v3_ca ]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        [ leaf ]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth, clientAuth
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid
        [ controller ]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth, clientAuth
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid
        subjectAltName = DNS:localhost, IP:127.0.0.1

        """
    }
}

/// An `openssl` invocation failed while making test certificates.
struct TestCertificateError: Error, CustomStringConvertible {
    let command: String
    let output: String
    var description: String { "openssl \(command) failed: \(output)" }
}
