import Foundation
import KeepCore
import KeepProtocol
import Testing

@testable import KeepCommands

@Suite("PoolReport: building the model from the controller's answers")
struct PoolReportTests {
    @Test("each host gets its snapshot and decoded inventories, sorted by host")
    func hostsAndDocuments() throws {
        let report = ReportFixtures.report()
        #expect(report.hosts.map(\.hostID) == ["web-01", "web-02"])
        let web01 = try #require(report.hosts.first)
        #expect(web01.snapshot?.id == "snap-web-01")
        #expect(web01.system?.kernel.release == "6.1.0-26-amd64")
        #expect(web01.packages?.packages.count == 3)
        #expect(web01.accounts.map(\.name) == ["alice", "shop-admin"])
        #expect(web01.systemAccounts.map(\.name) == ["daemon", "root"])
        #expect(web01.relevantServices.map(\.name) == ["backup.service", "nginx.service"])
        #expect(web01.problems.isEmpty)
    }

    @Test("the summary counts hosts, OS versions, unique accounts with their hosts, and backup bytes")
    func summary() {
        let report = ReportFixtures.report()
        #expect(report.backupBytes == 1000 + 3_478_115)
        #expect(report.backupFiles == 104)
        #expect(
            report.operatingSystems == [
                OperatingSystemUsage(name: "Debian GNU/Linux 11 (bullseye)", hosts: ["web-02"]),
                OperatingSystemUsage(name: "Debian GNU/Linux 12 (bookworm)", hosts: ["web-01"]),
            ])
        let accounts = report.accounts
        #expect(accounts.map(\.name) == [ReportFixtures.injected, "alice", "bob", "shop-admin"])
        #expect(accounts.first { $0.name == "alice" }?.hosts == ["web-01", "web-02"])
        #expect(accounts.first { $0.name == "shop-admin" }?.kinds == [.application])
        #expect(report.systemAccountCount == 3)
        #expect(report.sets.map(\.label) == ["before-upgrade"])
    }

    @Test("a host whose snapshot failed is listed with the error, not left out")
    func failedHost() throws {
        let report = PoolReport(
            pool: ReportFixtures.pool, requestedSetID: ReportFixtures.setID, sets: [ReportFixtures.set],
            snapshots: [
                ReportFixtures.snapshot("snap-web-01", host: "web-01"),
                ReportFixtures.snapshot("snap-web-03", host: "web-03", status: "failed", error: "host offline"),
            ],
            inventories: [
                .system: [ReportFixtures.document("web-01", snapshot: "snap-web-01", ReportFixtures.web01Users)]
            ],
            generated: 0)
        let web03 = try #require(report.hosts.first { $0.hostID == "web-03" })
        #expect(web03.snapshot?.status == "failed")
        #expect(web03.problems == ["Snapshot snap-web-03 is failed: host offline.", "No inventory was recorded."])
        // web-01's system document is not a system inventory: reported as unreadable, the host stays.
        let web01 = try #require(report.hosts.first { $0.hostID == "web-01" })
        #expect(web01.system == nil)
        #expect(web01.problems.contains("The system inventory of snap-web-01 cannot be read."))
    }

    @Test("without a set, a host's snapshot is the one its inventories come from, and other pools are ignored")
    func newestPerHost() throws {
        let older = ReportFixtures.snapshot("snap-old", host: "web-01", set: "set-old", finished: 100)
        let newer = ReportFixtures.snapshot("snap-new", host: "web-01", set: "set-new", finished: 200)
        var foreign = ReportFixtures.document("db-01", snapshot: "snap-db", ReportFixtures.web01Packages)
        foreign.pool = "be-01"
        let report = PoolReport(
            pool: ReportFixtures.pool, requestedSetID: nil, sets: [],
            snapshots: [newer, older],
            inventories: [
                .packages: [
                    ReportFixtures.document("web-01", snapshot: "snap-old", ReportFixtures.web01Packages), foreign,
                ]
            ],
            generated: 0)
        #expect(report.hosts.map(\.hostID) == ["web-01"])
        #expect(report.hosts.first?.snapshot?.id == "snap-old")
        #expect(report.sets.map(\.id) == ["set-old"])
    }
}
