import Foundation
import KeepCore
import KeepProtocol
import KeepTestSupport
import Testing

/// `keepctl rollback` of a three-host pool after a failed migration, end to end: real agents stage
/// and commit on disk; every host is compared with the backup set by manifest.
@Suite("Pool rollback", .timeLimit(.minutes(3)))
struct RollbackTests {
    @Test("dry run changes nothing; the rollback makes every host equal to the set; the safety set undoes it")
    func rollbackAndUndo() async throws {
        try await TestFleet.withFleet(agents: TestFleet.pool()) { fleet in
            let set = try await fleet.populatePoolAndBackUp()
            let original = try fleet.poolManifests()
            try fleet.migratePool()
            let migrated = try fleet.poolManifests()
            for host in TestFleet.poolHosts { #expect(migrated[host] != original[host]) }
            let setsBefore = try await fleet.sets().count

            // --dry-run: a plan per host, nothing changed, no safety set taken.
            let dryRun = try await fleet.rollback("--pool", "fe-01", "--to", set, "--dry-run")
            #expect(dryRun.dryRun && !dryRun.committed && dryRun.safetySetID.isEmpty)
            #expect(dryRun.states == ["web-01": "planned", "web-02": "planned", "web-03": "planned"])
            try fleet.expectPool(matches: migrated, "after the dry run")
            #expect(try await fleet.sets().count == setsBefore, "the dry run created a set")
            #expect(fleet.rollbackLeftovers().isEmpty)
            let source = fleet.sourceDirectory(of: "web-01")
            let sample = try #require(dryRun.hosts.first { $0.hostID == "web-01" }).plan.sample
            for line in [
                "+ \(source)/etc/app/secret.key", "- \(source)/etc/app/feature.flags", "~ \(source)/config-link",
            ] {
                #expect(sample.contains(line), "\(line) not in \(sample)")
            }
            for host in dryRun.hosts {
                // Undoing the migration: add the deleted key; replace the config, the users file, the
                // file that was a symlink and the file that was a directory; remove the new file and
                // the new directory; set a mode (and the mtimes of the directories that changed).
                #expect(host.plan.filesAdded == 1 && host.plan.filesReplaced == 4, "\(host.hostID) \(host.plan)")
                #expect(host.plan.filesRemoved == 2 && host.plan.metadataChanged >= 1, "\(host.hostID) \(host.plan)")
                #expect(host.plan.bytesToWrite > 0)
            }

            // The rollback: every host committed, identical to the set, nothing staged left behind.
            let rollback = try await fleet.rollback("--pool", "fe-01", "--to", set, "--yes")
            #expect(rollback.committed && !rollback.dryRun)
            #expect(rollback.states == ["web-01": "committed", "web-02": "committed", "web-03": "committed"])
            for host in rollback.hosts {
                let planned = try #require(dryRun.hosts.first { $0.hostID == host.hostID }).plan
                #expect(
                    host.plan == planned,
                    "\(host.hostID): the dry run planned \(planned), the rollback did \(host.plan)")
            }
            try fleet.expectPool(matches: original, "after the rollback")
            #expect(fleet.rollbackLeftovers().isEmpty, "\(fleet.rollbackLeftovers())")
            let nothingLeft = try await fleet.rollback("--pool", "fe-01", "--to", set, "--dry-run")
            for host in nothingLeft.hosts {
                #expect(
                    host.plan.filesAdded + host.plan.filesReplaced + host.plan.filesRemoved + host.plan.metadataChanged
                        == 0)
            }

            // The safety set holds the migrated state: rolling back to it undoes the rollback.
            let safety = rollback.safetySetID
            let safetySet = try #require(try await fleet.sets().first { $0.setID == safety }, "no safety set \(safety)")
            #expect(safetySet.status == "complete" && safetySet.hosts == 3)
            #expect(safetySet.label.contains(rollback.jobID))
            let undo = try await fleet.rollback("--pool", "fe-01", "--to", safety, "--yes")
            #expect(undo.committed)
            try fleet.expectPool(matches: migrated, "after rolling back to the safety set")
            #expect(fleet.rollbackLeftovers().isEmpty)
        }
    }
}
