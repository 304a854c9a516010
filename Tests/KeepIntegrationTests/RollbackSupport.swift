import Foundation
import KeepCore
import KeepProtocol
import KeepTestSupport
import Testing

/// A pool of three agents that back up (and roll back) their source and their `etc`, with sample
/// data and accounts, and the checks the rollback suites share.
extension TestFleet {
    static let poolHosts = ["web-01", "web-02", "web-03"]

    /// The pool's agents; `configure` adjusts each spec (hooks, environment).
    static func pool(_ configure: (inout AgentSpec) -> Void = { _ in }) -> [AgentSpec] {
        poolHosts.map { host in
            var spec = AgentSpec(host: host, pool: "fe-01", backsUpEtc: true)
            configure(&spec)
            return spec
        }
    }

    /// Fills every host (different content each), backs the pool up and returns the set's id.
    func populatePoolAndBackUp() async throws -> String {
        for (index, host) in Self.poolHosts.enumerated() {
            try FixtureTree.populate(sourceDirectory(of: host), seed: UInt64(index + 1))
            try FixtureTree.writeAccounts(etcDirectory(of: host))
        }
        let backup = try await backup("--pool", "fe-01")
        #expect(backup.hosts.map(\.hostID) == Self.poolHosts)
        #expect(backup.hosts.allSatisfy { $0.status == .ok }, "\(backup.hosts.map(\.errorText))")
        return backup.setID
    }

    /// Runs `FixtureTree.migrate` on every host of the pool.
    func migratePool() throws {
        for host in Self.poolHosts {
            try FixtureTree.migrate(source: sourceDirectory(of: host), etc: etcDirectory(of: host))
        }
    }

    /// `keepctl rollback … --json`, requiring `expectedStatus`.
    func rollback(_ arguments: String..., expecting expectedStatus: Int32 = 0) async throws -> Keep_V1_RollbackResult {
        let result = try await keepctl(["rollback"] + arguments + ["--json"])
        try #require(result.status == expectedStatus, "\(result)")
        return try result.json(Keep_V1_RollbackResult.self)
    }

    /// What a rollback of `host` covers, its source and its `etc` (keys `srv/…` and `root/etc/…`).
    func coveredManifest(of host: String) throws -> Manifest {
        try manifest(of: root + "/hosts/\(host)").filter { path in
            path == "srv" || path.hasPrefix("srv/") || path == "root/etc" || path.hasPrefix("root/etc/")
        }
    }

    /// `coveredManifest(of:)` of every host of the pool.
    func poolManifests() throws -> [String: Manifest] {
        var manifests: [String: Manifest] = [:]
        for host in Self.poolHosts { manifests[host] = try coveredManifest(of: host) }
        return manifests
    }

    /// Requires every host to match `expected` exactly, listing the differences otherwise.
    func expectPool(matches expected: [String: Manifest], _ comment: String) throws {
        for host in Self.poolHosts {
            let differences = try coveredManifest(of: host).differences(from: try #require(expected[host]))
            #expect(differences.isEmpty, "\(host) \(comment):\n\(differences.prefix(20).joined(separator: "\n"))")
        }
    }

    /// What a rollback leaves behind: staging directories (`.keep-rollback-*`) anywhere in the fleet
    /// and prepared-rollback records (`state/<host>/rollback-*.json`) of agents.
    func rollbackLeftovers() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var leftovers: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".keep-rollback-") || (relative.hasPrefix("state/") && name.hasPrefix("rollback-")) {
                leftovers.append(relative)
            }
        }
        return leftovers
    }
}

extension Keep_V1_RollbackResult {
    /// Host id → state.
    var states: [String: String] { Dictionary(uniqueKeysWithValues: hosts.map { ($0.hostID, $0.state) }) }
}
