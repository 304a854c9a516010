import Foundation
import KeepCore
import KeepCrypto
import KeepProtocol

/// A real Keep fleet on 127.0.0.1 for one test: its own temporary directory with a PKI, a
/// keep-controller on a free port with its SQLite catalog and pack store, keep-agents, and keepctl
/// with the operator certificate.
///
/// Use `withFleet { fleet in … }`: every process it started is stopped when the body returns or
/// throws, and a failure message carries the tail of every log.
public final class TestFleet: @unchecked Sendable {
    /// The fleet's directory (`pki/`, `data/`, `hosts/<host>/srv`, `logs/`, the YAML files).
    public let root: String
    public let pki: PKIDirectory
    public let agents: [AgentSpec]
    /// The controller's name, as in its certificate.
    public let controllerName = "localhost"
    public let operatorName = "admin"

    private let lock = NSLock()
    private var controllerProcess: ChildProcess?
    private var agentProcesses: [String: ChildProcess] = [:]
    private var others: [ChildProcess] = []
    private var currentPort = 0
    private var starts = 0

    /// Creates the directory, the PKI (CA, controller, one certificate per agent, an operator) and
    /// each agent's empty source directory. Starts nothing.
    public init(agents: [AgentSpec]) throws {
        var template = Array((NSTemporaryDirectory() + "keep-itest-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw TestSupportError("cannot create a temporary directory") }
        root = String(cString: created)
        pki = PKIDirectory(root + "/pki")
        self.agents = agents
        try pki.initialize(name: "Keep test CA", validityDays: 30)
        _ = try pki.issue(
            for: PeerIdentity(role: .controller, name: controllerName), ipAddresses: ["127.0.0.1"], validityDays: 30)
        _ = try pki.issue(for: PeerIdentity(role: .operator, name: operatorName), validityDays: 30)
        for agent in agents {
            _ = try pki.issue(for: PeerIdentity(role: .agent, name: agent.host, pool: agent.pool), validityDays: 30)
            for directory in [sourceDirectory(of: agent.host), etcDirectory(of: agent.host)] {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        }
        try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        try write(
            """
            controller: 127.0.0.1:0
            cert: pki/operators/\(operatorName).pem
            key: pki/operators/\(operatorName).key
            ca: pki/ca.pem
            """, to: "keepctl.yaml")
    }

    /// Runs `body` with a fleet whose controller runs and whose agents are connected (unless
    /// `startAgents` is false); always stops every process afterwards. On failure the directory is
    /// kept for inspection and the error names it.
    public static func withFleet<T: Sendable>(
        agents: [AgentSpec] = [], startAgents: Bool = true, _ body: (TestFleet) async throws -> T
    ) async throws -> T {
        let fleet = try TestFleet(agents: agents)
        do {
            try await fleet.startController()
            if startAgents {
                for agent in agents { try await fleet.startAgent(agent.host) }
                try await fleet.waitForAgents(Set(agents.map(\.host)))
            }
            let result = try await body(fleet)
            await fleet.shutdown()
            try? FileManager.default.removeItem(atPath: fleet.root)
            return result
        } catch {
            let logs = fleet.logTails()
            await fleet.shutdown()
            throw TestSupportError("\(error)\n(fleet directory kept: \(fleet.root))\n\(logs)")
        }
    }

    // MARK: Paths

    /// The directory agent `host` backs up.
    public func sourceDirectory(of host: String) -> String { root + "/hosts/\(host)/srv" }
    /// The `etc` of agent `host`'s inventory root (`passwd`, `group`); backed up when its spec says `backsUpEtc`.
    public func etcDirectory(of host: String) -> String { root + "/hosts/\(host)/root/etc" }
    public var dataDirectory: String { root + "/data" }
    public var certificateAuthorityPath: String { pki.certificateAuthorityPath }

    /// The controller's port (valid once it started).
    public var port: Int { lock.withLock { currentPort } }

    // MARK: Controller

    /// Starts keep-controller and waits (bounded) for its ready file. `port` 0 picks a free port;
    /// pass the previous `port` to restart it where the agents expect it. `arguments` go to
    /// keep-controller after `--config` (e.g. `--log-format json`).
    public func startController(port requested: Int = 0, extraConfiguration: String = "", arguments: [String] = [])
        async throws
    {
        let readyFile = root + "/controller.port"
        try? FileManager.default.removeItem(atPath: readyFile)
        try write(
            """
            name: \(controllerName)
            listen: 127.0.0.1
            port: \(requested)
            data: data
            ready_file: controller.port
            tls:
              certificate: pki/controllers/\(controllerName).pem
              key: pki/controllers/\(controllerName).key
              ca: pki/ca.pem
              crl: pki/crl.pem
            \(extraConfiguration)
            """, to: "controller.yaml")
        let count = lock.withLock {
            starts += 1
            return starts
        }
        let process = try ChildProcess(
            executable: Binaries.path(of: "keep-controller"), arguments: ["--config", root + "/controller.yaml"] + arguments,
            stdoutPath: root + "/logs/controller-\(count).out", stderrPath: root + "/logs/controller-\(count).log")
        lock.withLock { controllerProcess = process }
        var port = 0
        try await waitUntil("keep-controller wrote its ready file", details: { process.logTail() }) {
            if let status = process.status {
                throw TestSupportError("keep-controller exited with status \(status)\n\(process.logTail())")
            }
            let text = ChildProcess.read(readyFile).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let value = Int(text) else { return false }
            port = value
            return true
        }
        lock.withLock { currentPort = port }
    }

    /// The running controller process.
    public var controller: ChildProcess? { lock.withLock { controllerProcess } }

    /// Stops the controller gracefully (SIGTERM).
    public func stopController() async {
        await controller?.stop()
    }

    /// Kills the controller (SIGKILL), as a crash or power loss would.
    public func killController() async {
        await controller?.kill()
    }

    // MARK: Agents

    /// Writes `<host>.yaml` for the current controller port and starts keep-agent. `preBackupHook` and
    /// `environment` replace the spec's when given (`.some(nil)` removes the hook).
    public func startAgent(
        _ host: String, preBackupHook: [String]?? = nil, environment: [String: String]? = nil
    ) async throws {
        guard let spec = agents.first(where: { $0.host == host }) else {
            throw TestSupportError("no agent \(host) in this fleet")
        }
        let hookCommands: [(String, [String]?)] = [
            ("pre_backup", preBackupHook ?? spec.preBackupHook), ("pre_rollback", spec.preRollbackHook),
            ("post_rollback", spec.postRollbackHook), ("rollback_aborted", spec.rollbackAbortedHook),
        ]
        var hooks = ""
        for case (let name, let command?) in hookCommands {
            let arguments = command.map { $0.replacingOccurrences(of: AgentSpec.fleetPlaceholder, with: root) }
            hooks += "  \(name):\n    command: \(Self.yamlList(arguments))\n    timeout: 60\n"
        }
        if !hooks.isEmpty { hooks = "hooks:\n" + hooks }
        let configPaths = spec.backsUpEtc ? "[hosts/\(spec.host)/root/etc]" : "[]"
        try write(
            """
            controller: 127.0.0.1:\(port)
            host: \(spec.host)
            pool: \(spec.pool)
            state: state/\(spec.host)
            tls:
              certificate: pki/agents/\(spec.host).pem
              key: pki/agents/\(spec.host).key
              ca: pki/ca.pem
            sources:
              - path: hosts/\(spec.host)/srv
            config_paths: \(configPaths)
            inventory:
              root: hosts/\(spec.host)/root
              command_timeout: 5
            \(hooks)
            """, to: "\(host).yaml")
        let count = lock.withLock {
            starts += 1
            return starts
        }
        let process = try ChildProcess(
            executable: Binaries.path(of: "keep-agent"), arguments: ["--config", root + "/\(host).yaml"],
            environment: environment ?? spec.environment, stdoutPath: root + "/logs/\(host)-\(count).out",
            stderrPath: root + "/logs/\(host)-\(count).log")
        let previous = lock.withLock {
            let previous = agentProcesses[host]
            agentProcesses[host] = process
            return previous
        }
        await previous?.kill()
    }

    /// The running agent process of `host`.
    public func agent(_ host: String) -> ChildProcess? { lock.withLock { agentProcesses[host] } }

    /// Stops agent `host` gracefully.
    public func stopAgent(_ host: String) async { await agent(host)?.stop() }

    /// Kills agent `host` (SIGKILL) with its process group.
    public func killAgent(_ host: String) async { await agent(host)?.kill() }

    /// Waits until `keepctl agents --json` lists every host of `hosts` as connected.
    public func waitForAgents(_ hosts: Set<String>, timeout: Duration = .seconds(30)) async throws {
        try await waitUntil("agents \(hosts.sorted()) are connected", timeout: timeout, interval: .milliseconds(100)) {
            Set(try await connectedAgents()).isSuperset(of: hosts)
        }
    }

    /// Host ids `keepctl agents --json` reports as connected.
    public func connectedAgents() async throws -> [String] {
        let result = try await keepctl(["agents", "--json"])
        guard result.status == 0 else { return [] }
        return try result.json(Keep_V1_ListAgentsResponse.self).agents.filter(\.connected).map(\.hostID)
    }

    // MARK: keepctl

    /// Runs keepctl against this fleet's controller (operator certificate via `keepctl.yaml`, unless
    /// `--cert`/`--key` flags say otherwise) and waits for it.
    public func keepctl(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> CommandResult {
        let process = try startKeepctl(arguments)
        let status = try await process.waitForExit(timeout: timeout)
        return CommandResult(
            arguments: arguments, status: status, standardOutput: process.standardOutput,
            standardError: process.standardError)
    }

    /// Starts keepctl in the background (e.g. a backup to interrupt); it is killed at shutdown.
    public func startKeepctl(_ arguments: [String]) throws -> ChildProcess {
        let count = lock.withLock {
            starts += 1
            return starts
        }
        var environment = ["KEEP_CONFIG": root + "/keepctl.yaml", "KEEP_CONTROLLER": "127.0.0.1:\(port)"]
        if arguments.first == "pki" { environment = [:] }
        let process = try ChildProcess(
            executable: Binaries.path(of: "keepctl"), arguments: arguments, environment: environment,
            stdoutPath: root + "/logs/keepctl-\(count).out", stderrPath: root + "/logs/keepctl-\(count).err")
        lock.withLock { others.append(process) }
        return process
    }

    /// Output of a finished background keepctl.
    public func result(of process: ChildProcess, arguments: [String]) async throws -> CommandResult {
        let status = try await process.waitForExit(timeout: .seconds(120))
        return CommandResult(
            arguments: arguments, status: status, standardOutput: process.standardOutput,
            standardError: process.standardError)
    }

    // MARK: Certificates

    /// Issues a certificate signed by this fleet's CA with explicit validity (Unix seconds), e.g. an
    /// expired one, without recording it in the PKI index. Returns the PEM paths.
    public func issueUnrecorded(
        for identity: PeerIdentity, notBefore: Int64, notAfter: Int64, label: String
    ) throws -> (certificate: String, key: String) {
        let authority = try pki.loadAuthority()
        let key = try PrivateKey.generateP256()
        let certificate = try authority.issue(for: identity, publicKeyOf: key, notBefore: notBefore, notAfter: notAfter)
        let base = root + "/extra-\(label)"
        try PKIFileWriter.write(certificate.pemEncoded(), to: base + ".pem", mode: 0o644)
        try PKIFileWriter.write(key.pemEncoded(), to: base + ".key", mode: 0o600)
        return (base + ".pem", base + ".key")
    }

    // MARK: Shutdown and logs

    /// Stops everything this fleet started: keepctl runs and agents killed, the controller stopped.
    public func shutdown() async {
        let (controller, agents, commands): (ChildProcess?, [ChildProcess], [ChildProcess]) = lock.withLock {
            (controllerProcess, Array(agentProcesses.values), self.others)
        }
        for process in commands { await process.kill() }
        for process in agents { await process.kill() }
        await controller?.stop()
    }

    /// The last lines of every log, for failure messages.
    public func logTails(lines: Int = 30) -> String {
        let (controller, agents) = lock.withLock { (controllerProcess, agentProcesses) }
        var text = controller.map { $0.logTail(lines: lines) } ?? ""
        for host in agents.keys.sorted() {
            if let process = agents[host] { text += "\n" + process.logTail(lines: lines) }
        }
        return text
    }

    /// Writes `text` to `relativePath` below the fleet's directory.
    public func write(_ text: String, to relativePath: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/" + relativePath))
    }

    private static func yamlList(_ items: [String]) -> String {
        var quoted: [String] = []
        for item in items {
            let escaped = item.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            quoted.append("\"" + escaped + "\"")
        }
        return "[" + quoted.joined(separator: ", ") + "]"
    }
}
