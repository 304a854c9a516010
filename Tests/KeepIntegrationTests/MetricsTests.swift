import Foundation
import KeepCore
import KeepProtocol
import KeepTestSupport
import Testing

/// The controller's operator surface: the Prometheus endpoint, a clean stop on SIGTERM, JSON logs.
@Suite("Controller metrics and stop", .timeLimit(.minutes(3)))
struct MetricsTests {
    static let metricsConfiguration = """
        metrics:
          listen: 127.0.0.1
          port: 0
          ready_file: metrics.port
        """

    /// Restarts the fleet's controller with the metrics endpoint on, starts the agents and returns
    /// the metrics port.
    static func startWithMetrics(_ fleet: TestFleet, arguments: [String] = []) async throws -> Int {
        await fleet.stopController()
        try await fleet.startController(extraConfiguration: metricsConfiguration, arguments: arguments)
        let text = String(
            decoding: FileManager.default.contents(atPath: fleet.root + "/metrics.port") ?? Data(), as: UTF8.self)
        let port = try #require(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), "metrics.port: '\(text)'")
        for agent in fleet.agents { try await fleet.startAgent(agent.host) }
        try await fleet.waitForAgents(Set(fleet.agents.map(\.host)))
        return port
    }

    @Test("GET /metrics: connected agents, finished jobs, bytes and chunks; other paths 404")
    func scrape() async throws {
        let agents = [AgentSpec(host: "web-01", pool: "fe-01"), AgentSpec(host: "web-02", pool: "fe-01")]
        try await TestFleet.withFleet(agents: agents, startAgents: false) { fleet in
            try FixtureTree.populate(fleet.sourceDirectory(of: "web-01"), seed: 1)
            try FixtureTree.populate(fleet.sourceDirectory(of: "web-02"), seed: 2)
            let port = try await Self.startWithMetrics(fleet)

            let idle = try MetricsHTTP.request("/metrics", port: port)
            #expect(idle.status == 200)
            #expect(idle.headers.contains("text/plain; version=0.0.4"), "\(idle.headers)")
            let before = MetricsHTTP.samples(idle.body)
            #expect(before["keep_agents_connected{pool=\"fe-01\"}"] == 2, "\(idle.body)")
            #expect(before["keep_bytes_received_total"] == 0, "\(idle.body)")

            _ = try await fleet.backup("--pool", "fe-01")
            let first = MetricsHTTP.samples(try MetricsHTTP.request("/metrics", port: port).body)
            #expect(first["keep_jobs_total{kind=\"backup\",status=\"complete\"}"] == 1, "\(first)")
            #expect(first["keep_jobs_running{kind=\"backup\"}"] == 0, "\(first)")
            #expect((first["keep_bytes_received_total"] ?? 0) > 300_000, "\(first)")
            #expect((first["keep_bytes_stored_total"] ?? 0) > 300_000, "\(first)")
            #expect((first["keep_chunks_received_total"] ?? 0) > 0, "\(first)")
            #expect((first["keep_packs_written_total"] ?? 0) >= 1, "\(first)")
            // web-01 and web-02 hold the same shared/common.bin: the second host's copy is a dedup hit.
            #expect((first["keep_chunks_deduplicated_total"] ?? 0) > 0, "\(first)")

            // An unchanged second backup sends (almost) nothing: the store answers "already stored".
            _ = try await fleet.backup("--pool", "fe-01")
            let second = MetricsHTTP.samples(try MetricsHTTP.request("/metrics", port: port).body)
            #expect(second["keep_jobs_total{kind=\"backup\",status=\"complete\"}"] == 2)
            #expect((second["keep_chunks_deduplicated_total"] ?? 0) > (first["keep_chunks_deduplicated_total"] ?? 0))

            await fleet.stopAgent("web-02")
            try await waitUntil("the gauge drops to one agent") {
                let samples = MetricsHTTP.samples(try MetricsHTTP.request("/metrics", port: port).body)
                return samples["keep_agents_connected{pool=\"fe-01\"}"] == 1
            }

            // Plain HTTP to the TLS port: refused during the handshake, and counted.
            _ = try? MetricsHTTP.request("/", port: fleet.port)
            try await waitUntil("the refused session is counted") {
                let samples = MetricsHTTP.samples(try MetricsHTTP.request("/metrics", port: port).body)
                return samples["keep_sessions_refused_total{reason=\"tls\"}"] == 1
            }

            #expect(try MetricsHTTP.request("/", port: port).status == 404)
            #expect(try MetricsHTTP.request("/metrics/../etc/passwd", port: port).status == 404)
            #expect(try MetricsHTTP.request("/metrics", method: "POST", port: port).status == 405)
            try await fleet.expectControllerServes("after the scrapes")
        }
    }

    @Test("SIGTERM on an idle controller: exit 0 within seconds, metrics port released")
    func idleStop() async throws {
        try await TestFleet.withFleet(agents: [AgentSpec(host: "app-01", pool: "apps")], startAgents: false) { fleet in
            let port = try await Self.startWithMetrics(fleet)
            let controller = try #require(fleet.controller)
            let started = ContinuousClock.now
            controller.signal(SIGTERM)
            #expect(try await controller.waitForExit(timeout: .seconds(10)) == 0, "\(controller.logTail())")
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(controller.standardError.contains("keep-controller stopped"))
            #expect(throws: (any Error).self) { try MetricsHTTP.request("/metrics", port: port) }
        }
    }

    @Test("a backup running at SIGTERM is interrupted in the catalog at once; JSON log lines parse")
    func stopDuringBackup() async throws {
        try await TestFleet.withFleet(agents: [AgentSpec(host: "app-01", pool: "apps")], startAgents: false) { fleet in
            try FixtureTree.populate(fleet.sourceDirectory(of: "app-01"), seed: 1)
            _ = try await Self.startWithMetrics(fleet, arguments: ["--log-format", "json"])
            try await fleet.startAgent("app-01", preBackupHook: BackupFailureTests.blockingHook(root: fleet.root))
            try await fleet.waitForAgents(["app-01"])
            let good = try await fleet.backup("--host", "app-01")
            let backup = try await BackupFailureTests.startBlockedBackup(fleet, arguments: ["backup", "--host", "app-01"])
            let controller = try #require(fleet.controller)
            controller.signal(SIGTERM)
            #expect(try await controller.waitForExit(timeout: .seconds(15)) == 0, "\(controller.logTail())")
            #expect(try await backup.waitForExit(timeout: .seconds(30)) != 0)

            // Every line is one JSON object with the documented fields.
            let lines = controller.standardError.split(separator: "\n")
            var records: [[String: Any]] = []
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                let record = try #require(object, "not a JSON object: \(line)")
                #expect(record["time"] is String && record["level"] is String && record["message"] is String)
                #expect(record["label"] as? String == "keep-controller")
                #expect(record["metadata"] is [String: Any])
                records.append(record)
            }
            let started = try #require(
                records.last { ($0["message"] as? String)?.contains("started a backup") == true }, "\(lines)")
            let job = try #require((started["metadata"] as? [String: Any])?["job"] as? String)
            #expect((started["metadata"] as? [String: Any])?["host"] as? String == "-")
            let interrupted = records.filter { ($0["message"] as? String) == "job interrupted by the controller stop" }
            #expect(interrupted.compactMap { ($0["metadata"] as? [String: Any])?["job"] as? String } == [job])

            // The stop itself recorded it: the next start finds nothing left running.
            try await fleet.startController(port: fleet.port)
            let restarted = try #require(fleet.controller)
            #expect(!restarted.standardError.contains("was interrupted by a controller stop"), "\(restarted.logTail())")
            let sets = try await fleet.sets()
            #expect(sets.first { $0.setID != good.setID }?.status == "interrupted", "\(sets)")
            #expect(sets.first { $0.setID == good.setID }?.status == "complete")
        }
    }

    @Test("keep-agent --log-format json: its fatal configuration error is one JSON line")
    func agentJSONLog() async throws {
        let directory = NSTemporaryDirectory() + "keep-agent-json-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let agent = try ChildProcess(
            executable: Binaries.path(of: "keep-agent"),
            arguments: ["--config", directory + "/missing.yaml", "--log-format", "json"],
            stdoutPath: directory + "/out", stderrPath: directory + "/err")
        #expect(try await agent.waitForExit(timeout: .seconds(20)) == 1)
        let lines = agent.standardError.split(separator: "\n")
        let line = try #require(lines.first, "no log line")
        #expect(lines.count == 1, "\(lines)")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(record["level"] as? String == "critical")
        #expect(record["label"] as? String == "keep-agent")
        #expect((record["message"] as? String)?.contains("missing.yaml") == true, "\(record)")
    }
}
