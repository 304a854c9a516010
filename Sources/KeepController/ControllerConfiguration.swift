import Foundation
import KeepCore
import Yams

/// `controller.yaml`. Relative paths are resolved against the directory of the file.
public struct ControllerConfiguration: Sendable, Decodable {
    /// The controller's name, as in its certificate (`controller:<name>`).
    public var name: String
    /// Address to listen on; `127.0.0.1` by default.
    public var listenAddress: String
    /// TCP port; 7443 by default, 0 to pick a free one (printed at start-up).
    public var port: Int
    /// Catalog, packs and repository key live here.
    public var dataDirectory: String
    public var tls: TLSFiles
    /// A file holding the passphrase that wraps the repository key (optional).
    public var passphraseFile: String?
    /// Where the controller writes the port it listens on once it is ready (optional; used by scripts).
    public var readyFile: String?
    /// The Prometheus endpoint (`metrics:`); off when absent.
    public var metrics: MetricsEndpoint?

    public struct TLSFiles: Sendable, Decodable {
        public var certificate: String
        public var key: String
        public var ca: String
        /// The revocation list `keepctl pki revoke` rewrites; reloaded when it changes.
        public var crl: String?
    }

    /// `metrics: {listen: 127.0.0.1, port: 9464}`: where `GET /metrics` answers in the Prometheus
    /// text format. Port 0 picks a free port (logged, and written to `ready_file` when given).
    public struct MetricsEndpoint: Sendable, Decodable {
        public var listenAddress: String
        public var port: Int
        /// Where the controller writes the metrics port once it listens (optional; for scripts and tests).
        public var readyFile: String?

        enum CodingKeys: String, CodingKey {
            case listen, port
            case readyFile = "ready_file"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            listenAddress = try container.decodeIfPresent(String.self, forKey: .listen) ?? "127.0.0.1"
            port = try container.decodeIfPresent(Int.self, forKey: .port) ?? 9464
            readyFile = try container.decodeIfPresent(String.self, forKey: .readyFile)
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, listen, port, data, tls, metrics
        case passphraseFile = "passphrase_file"
        case readyFile = "ready_file"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        listenAddress = try container.decodeIfPresent(String.self, forKey: .listen) ?? "127.0.0.1"
        port = try container.decodeIfPresent(Int.self, forKey: .port) ?? 7443
        dataDirectory = try container.decode(String.self, forKey: .data)
        tls = try container.decode(TLSFiles.self, forKey: .tls)
        passphraseFile = try container.decodeIfPresent(String.self, forKey: .passphraseFile)
        readyFile = try container.decodeIfPresent(String.self, forKey: .readyFile)
        metrics = try container.decodeIfPresent(MetricsEndpoint.self, forKey: .metrics)
    }

    /// Reads and validates a configuration file.
    public static func load(path: String) throws -> ControllerConfiguration {
        var configuration: ControllerConfiguration = try ConfigurationFile.decode(path: path)
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        let resolve = { (value: String) in ConfigurationFile.resolve(value, against: base) }
        configuration.dataDirectory = resolve(configuration.dataDirectory)
        configuration.tls.certificate = resolve(configuration.tls.certificate)
        configuration.tls.key = resolve(configuration.tls.key)
        configuration.tls.ca = resolve(configuration.tls.ca)
        configuration.tls.crl = configuration.tls.crl.map(resolve)
        configuration.passphraseFile = configuration.passphraseFile.map(resolve)
        configuration.readyFile = configuration.readyFile.map(resolve)
        if let metricsReadyFile = configuration.metrics?.readyFile {
            configuration.metrics?.readyFile = resolve(metricsReadyFile)
        }
        if let port = configuration.metrics?.port, !(0...65535).contains(port) {
            throw KeepError(.configuration, "metrics port \(port) is not a TCP port", context: path)
        }
        guard Name.isValid(configuration.name) else {
            throw KeepError(.configuration, "invalid controller name '\(configuration.name)'", context: path)
        }
        return configuration
    }
}
