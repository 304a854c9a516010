import Foundation
import KeepCore
import KeepProtocol
import KeepTestSupport
import Testing

/// Rollbacks that go wrong: a host that cannot prepare (nobody changes), an agent that dies in the
/// middle of its commit (the job says who committed; `--resume` finishes it).
@Suite("Pool rollback failures", .timeLimit(.minutes(3)))
struct RollbackFailureTests {
    @Test(
        "one host's pre_rollback hook fails: no host changes, nothing staged remains, the others run rollback_aborted")
    func preRollbackHookFails() async throws {
        let marker = AgentSpec.fleetPlaceholder
        let agents = TestFleet.pool { spec in
            spec.preRollbackHook =
                spec.host == "web-02"
                ? ["/bin/sh", "-c", "echo 'app: refusing to stop, 3 sessions open' >&2; exit 1"]
                : ["/bin/sh", "-c", "touch \(marker)/prepared-\(spec.host)"]
            spec.rollbackAbortedHook = ["/bin/sh", "-c", "touch \(marker)/aborted-\(spec.host)"]
            spec.postRollbackHook = ["/bin/sh", "-c", "touch \(marker)/committed-\(spec.host)"]
        }
        try await TestFleet.withFleet(agents: agents) { fleet in
            let set = try await fleet.populatePoolAndBackUp()
            try fleet.migratePool()
            let migrated = try fleet.poolManifests()

            let result = try await fleet.rollback("--pool", "fe-01", "--to", set, "--yes", expecting: 1)
            #expect(!result.committed)
            #expect(result.states == ["web-01": "aborted", "web-02": "failed", "web-03": "aborted"])
            let failed = try #require(result.hosts.first { $0.hostID == "web-02" })
            #expect("\(KeepError(failed.error))".contains("refusing to stop"), "\(KeepError(failed.error))")

            try fleet.expectPool(matches: migrated, "after the aborted rollback")
            #expect(fleet.rollbackLeftovers().isEmpty, "\(fleet.rollbackLeftovers())")
            let exists = { (name: String) in FileManager.default.fileExists(atPath: fleet.root + "/" + name) }
            for host in ["web-01", "web-03"] {
                #expect(exists("prepared-\(host)"), "\(host) never prepared")
                #expect(exists("aborted-\(host)"), "\(host) did not run its rollback_aborted hook")
            }
            #expect(TestFleet.poolHosts.allSatisfy { !exists("committed-\($0)") }, "a post_rollback hook ran")
        }
    }

    @Test("an agent dies in the middle of its commit: the job shows who committed and --resume finishes it")
    func agentDiesDuringCommit() async throws {
        // Test-only switch of keep-agent: web-03 applies one change of its commit and exits at once.
        let agents = TestFleet.pool { spec in
            if spec.host == "web-03" { spec.environment = ["KEEP_TEST_CRASH_COMMIT_AFTER": "1"] }
        }
        try await TestFleet.withFleet(agents: agents) { fleet in
            let set = try await fleet.populatePoolAndBackUp()
            let original = try fleet.poolManifests()
            try fleet.migratePool()
            let migrated = try fleet.poolManifests()

            let interrupted = try await fleet.keepctl(["rollback", "--pool", "fe-01", "--to", set, "--yes"])
            #expect(interrupted.status == 1, "\(interrupted)")
            // The job's events as they happened, then its table: web-01 and web-02 committed, web-03 did not.
            let lines = interrupted.standardOutput.split(separator: "\n")
            let tableStart = try #require(lines.firstIndex { $0.hasPrefix("rollback job ") }, "\(interrupted)")
            let job = String(lines[tableStart].dropFirst("rollback job ".count).dropLast())
            for (host, state) in [("web-01", "committed"), ("web-02", "committed"), ("web-03", "failed")] {
                let row = lines[tableStart...].first { $0.hasPrefix(host + " ") }?.split(separator: " ")
                #expect(row?.dropFirst().first == Substring(state), "\(interrupted)")
                #expect(lines[..<tableStart].contains { $0.hasPrefix("\(host): \(state)") }, "\(interrupted)")
            }
            #expect(interrupted.standardOutput.contains("keepctl rollback --resume \(job)"), "\(interrupted)")
            #expect(try await fleet.agent("web-03")?.waitForExit(timeout: .seconds(10)) == 70)
            // The catalog recorded exactly who committed.
            let detail = try await fleet.keepctl(["jobs", job, "--json"]).json(Keep_V1_JobDetailResponse.self)
            #expect(
                Dictionary(uniqueKeysWithValues: detail.hosts.map { ($0.hostID, $0.state) })
                    == ["web-01": "committed", "web-02": "committed", "web-03": "failed"], "\(detail)")
            #expect(detail.job.status == "partial" && detail.events.contains { $0.message.contains("--resume") })

            // web-01 and web-02 are back at the set; web-03 is half-way, its staged data kept for the resume.
            let halfWay = try fleet.coveredManifest(of: "web-03")
            #expect(halfWay != original["web-03"] && halfWay != migrated["web-03"])
            for host in ["web-01", "web-02"] {
                #expect(try fleet.coveredManifest(of: host).differences(from: try #require(original[host])) == [])
            }
            let leftovers = fleet.rollbackLeftovers()
            #expect(!leftovers.isEmpty && leftovers.allSatisfy { $0.contains("web-03") }, "\(leftovers)")

            try await fleet.startAgent("web-03", environment: [:])
            try await fleet.waitForAgents(["web-03"])
            let resumed = try await fleet.rollback("--resume", job, "--yes")
            #expect(resumed.jobID == job)
            #expect(resumed.committed)
            #expect(resumed.states == ["web-01": "committed", "web-02": "committed", "web-03": "committed"])
            try fleet.expectPool(matches: original, "after the resumed rollback")
            #expect(fleet.rollbackLeftovers().isEmpty, "\(fleet.rollbackLeftovers())")
        }
    }
}
