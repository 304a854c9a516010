import ArgumentParser
import Foundation
import KeepCore
import KeepCrypto
import KeepTransport

/// How keepctl reaches the controller. Flags win over environment variables, which win over the file.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The controller, HOST:PORT.")
    var controller: String?

    @Option(help: "The operator certificate (PEM).")
    var cert: String?

    @Option(help: "The operator private key (PEM).")
    var key: String?

    @Option(help: "The Keep CA certificate (PEM).")
    var ca: String?

    @Option(help: "A keepctl.yaml with controller, cert, key and ca.")
    var config: String?

    /// The file's shape: `controller: host:port`, `cert: …`, `key: …`, `ca: …` (paths relative to the file).
    private struct File: Decodable {
        var controller: String?
        var cert: String?
        var key: String?
        var ca: String?
    }

    /// Opens an operator session with the controller.
    func connect() async throws -> ClientSession {
        let environment = ProcessInfo.processInfo.environment
        let configPath = config ?? environment["KEEP_CONFIG"] ?? defaultConfigPath()
        var file = File()
        if let configPath, FileManager.default.fileExists(atPath: configPath) {
            file = try ConfigurationFile.decode(path: configPath)
            let base = URL(fileURLWithPath: configPath).deletingLastPathComponent()
            file.cert = file.cert.map { ConfigurationFile.resolve($0, against: base) }
            file.key = file.key.map { ConfigurationFile.resolve($0, against: base) }
            file.ca = file.ca.map { ConfigurationFile.resolve($0, against: base) }
        } else if config != nil {
            throw KeepError(.configuration, "no such configuration file", context: config)
        }
        func setting(_ flag: String?, _ variable: String, _ fromFile: String?, _ name: String) throws -> String {
            if let value = flag ?? environment[variable] ?? fromFile { return value }
            throw KeepError(
                .configuration, "no \(name) given", hint: "pass --\(name), set \(variable), or write it in keepctl.yaml")
        }
        let address = try setting(controller, "KEEP_CONTROLLER", file.controller, "controller")
        guard let endpoint = Endpoint.parse(address) else {
            throw KeepError(.configuration, "the controller address must be HOST:PORT, got '\(address)'")
        }
        let certificate = try setting(cert, "KEEP_CERT", file.cert, "cert")
        let tls = try TLSContext.client(
            certificateChain: certificate, privateKey: try setting(key, "KEEP_KEY", file.key, "key"),
            trustedCA: try setting(ca, "KEEP_CA", file.ca, "ca"), serverName: endpoint.host)
        let name = (try? Certificate.load(path: certificate).identity?.name) ?? "operator"
        return try await ClientSession.open(
            host: endpoint.host, port: endpoint.port, tls: tls,
            configuration: .init(role: .operator, hostID: name, softwareVersion: "keepctl \(KeepVersion.current)"))
    }

    private func defaultConfigPath() -> String? {
        ProcessInfo.processInfo.environment["HOME"].map { $0 + "/.config/keep/keepctl.yaml" }
    }
}

/// `--json` on every query.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the controller's answer as JSON (protobuf JSON mapping of the message in Protocol/keep.proto).")
    var json = false
}
