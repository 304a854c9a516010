import Foundation
import KeepCore

/// `agent.yaml`. Relative paths are resolved against the directory of the file.
public struct AgentConfiguration: Sendable, Decodable {
    /// `host:port` of the controller.
    public var controller: String
    /// The host id; must be the one named by the agent's certificate.
    public var hostID: String
    /// The pool; must be the one named by the agent's certificate.
    public var pool: String
    public var tls: TLSFiles
    /// Local state: the cache of file metadata from the last backup.
    public var stateDirectory: String
    /// Data to back up.
    public var sources: [Source]
    /// Configuration paths backed up with every snapshot (`/etc` by default; `[]` for none).
    public var configPaths: [String]
    public var inventory: InventoryOptions
    public var hooks: Hooks

    public struct TLSFiles: Sendable, Decodable {
        public var certificate: String
        public var key: String
        public var ca: String
        /// The DNS name or address the controller's certificate must carry; the controller host by default.
        public var serverName: String?

        enum CodingKeys: String, CodingKey {
            case certificate, key, ca
            case serverName = "server_name"
        }
    }

    public struct Source: Sendable, Decodable, Hashable {
        public var path: String
        public var include: [String]
        public var exclude: [String]
        /// Do not descend into other filesystems mounted below `path`.
        public var oneFileSystem: Bool

        enum CodingKeys: String, CodingKey {
            case path, include, exclude
            case oneFileSystem = "one_file_system"
        }

        public init(path: String, include: [String] = [], exclude: [String] = [], oneFileSystem: Bool = false) {
            self.path = path
            self.include = include
            self.exclude = exclude
            self.oneFileSystem = oneFileSystem
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            path = try container.decode(String.self, forKey: .path)
            include = try container.decodeIfPresent([String].self, forKey: .include) ?? []
            exclude = try container.decodeIfPresent([String].self, forKey: .exclude) ?? []
            oneFileSystem = try container.decodeIfPresent(Bool.self, forKey: .oneFileSystem) ?? false
        }
    }

    public struct InventoryOptions: Sendable, Decodable {
        /// Root of the system databases (`/etc/passwd`, `/etc/os-release`…); `/` except in tests and demos.
        public var root: String
        /// A command printing a JSON array of application accounts, e.g. `["/usr/local/bin/app-users", "--json"]`.
        public var applicationAccountsCommand: [String]?
        /// Seconds each inventory tool (dpkg-query, systemctl, the accounts command) may take.
        public var commandTimeout: Double

        enum CodingKeys: String, CodingKey {
            case root
            case applicationAccountsCommand = "application_accounts_command"
            case commandTimeout = "command_timeout"
        }

        public init() {
            root = "/"
            applicationAccountsCommand = nil
            commandTimeout = 30
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            root = try container.decodeIfPresent(String.self, forKey: .root) ?? "/"
            applicationAccountsCommand = try container.decodeIfPresent([String].self, forKey: .applicationAccountsCommand)
            commandTimeout = try container.decodeIfPresent(Double.self, forKey: .commandTimeout) ?? 30
        }
    }

    /// Commands run around a backup (e.g. dump a database before it) and around a rollback (e.g. stop
    /// a service before the files change, start it after; `rollback_aborted` undoes `pre_rollback` when
    /// another host of the pool failed to prepare and nothing was changed).
    public struct Hooks: Sendable, Decodable {
        public var preBackup: Hook?
        public var postBackup: Hook?
        public var preRollback: Hook?
        public var postRollback: Hook?
        public var rollbackAborted: Hook?

        enum CodingKeys: String, CodingKey {
            case preBackup = "pre_backup"
            case postBackup = "post_backup"
            case preRollback = "pre_rollback"
            case postRollback = "post_rollback"
            case rollbackAborted = "rollback_aborted"
        }

        public init(
            preBackup: Hook? = nil, postBackup: Hook? = nil, preRollback: Hook? = nil, postRollback: Hook? = nil,
            rollbackAborted: Hook? = nil
        ) {
            self.preBackup = preBackup
            self.postBackup = postBackup
            self.preRollback = preRollback
            self.postRollback = postRollback
            self.rollbackAborted = rollbackAborted
        }
    }

    public struct Hook: Sendable, Decodable {
        /// argv; run without a shell.
        public var command: [String]
        /// Seconds before the command is killed and the hook fails; 300 by default.
        public var timeout: Double

        public init(command: [String], timeout: Double = 300) {
            self.command = command
            self.timeout = timeout
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            command = try container.decode([String].self, forKey: .command)
            timeout = try container.decodeIfPresent(Double.self, forKey: .timeout) ?? 300
        }

        enum CodingKeys: String, CodingKey { case command, timeout }
    }

    enum CodingKeys: String, CodingKey {
        case controller, pool, tls, sources, inventory, hooks
        case hostID = "host"
        case stateDirectory = "state"
        case configPaths = "config_paths"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        controller = try container.decode(String.self, forKey: .controller)
        hostID = try container.decode(String.self, forKey: .hostID)
        pool = try container.decode(String.self, forKey: .pool)
        tls = try container.decode(TLSFiles.self, forKey: .tls)
        stateDirectory = try container.decode(String.self, forKey: .stateDirectory)
        sources = try container.decodeIfPresent([Source].self, forKey: .sources) ?? []
        configPaths = try container.decodeIfPresent([String].self, forKey: .configPaths) ?? ["/etc"]
        inventory = try container.decodeIfPresent(InventoryOptions.self, forKey: .inventory) ?? InventoryOptions()
        hooks = try container.decodeIfPresent(Hooks.self, forKey: .hooks) ?? Hooks()
    }

    /// Reads and validates a configuration file.
    public static func load(path: String) throws -> AgentConfiguration {
        var configuration: AgentConfiguration = try ConfigurationFile.decode(path: path)
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        let resolve = { (value: String) in ConfigurationFile.resolve(value, against: base) }
        configuration.tls.certificate = resolve(configuration.tls.certificate)
        configuration.tls.key = resolve(configuration.tls.key)
        configuration.tls.ca = resolve(configuration.tls.ca)
        configuration.stateDirectory = resolve(configuration.stateDirectory)
        configuration.sources = configuration.sources.map { source in
            var resolved = source
            resolved.path = resolve(source.path)
            return resolved
        }
        configuration.configPaths = configuration.configPaths.map(resolve)
        configuration.inventory.root = resolve(configuration.inventory.root)
        guard Name.isValid(configuration.hostID), Name.isValid(configuration.pool) else {
            throw KeepError(.configuration, "invalid host id or pool name", context: path, hint: "use letters, digits, '.', '-' and '_'")
        }
        guard configuration.controllerEndpoint != nil else {
            throw KeepError(.configuration, "controller must be HOST:PORT, got '\(configuration.controller)'", context: path)
        }
        return configuration
    }

    /// Settings for the inventory collectors.
    var inventoryConfiguration: InventoryConfiguration {
        InventoryConfiguration(
            root: inventory.root, applicationAccountsCommand: inventory.applicationAccountsCommand,
            commandTimeout: inventory.commandTimeout)
    }

    /// The controller's host and port.
    public var controllerEndpoint: (host: String, port: Int)? { Endpoint.parse(controller) }
}
