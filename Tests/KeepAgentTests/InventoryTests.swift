import Foundation
import KeepCore
import Testing

@testable import KeepAgent

@Suite("Inventory collectors")
struct InventoryTests {
    /// A fake root with /etc files, and a configuration whose PATH holds no tools.
    static func fakeRoot() throws -> (TemporaryDirectory, InventoryConfiguration) {
        let temp = try TemporaryDirectory()
        try temp.write(
            "etc/passwd",
            """
            root:x:0:0:root:/root:/bin/bash
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
            # a comment
            bob:x:600:600:Bob:/home/bob:/bin/zsh
            alice:x:1000:1000:Alice:/home/alice:/bin/bash
            svc:x:1001:1001::/srv/svc:/bin/false
            nobody:x:65534:65534:nobody:/nonexistent:/bin/sh

            """)
        try temp.write(
            "etc/group",
            """
            root:x:0:
            sudo:x:27:alice,bob
            alice:x:1000:
            docker:x:998:alice
            bob:x:600:

            """)
        try temp.write("etc/login.defs", "# defaults\nUID_MIN\t\t\t  500\nUID_MAX 60000\n")
        try temp.write(
            "etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
        try temp.write("proc/meminfo", "MemTotal:        8000000 kB\nMemFree: 1 kB\n")
        try temp.write(
            "proc/cpuinfo", "processor\t: 0\nmodel name\t: Test CPU\n\nprocessor\t: 1\nmodel name\t: Test CPU\n")
        try temp.directory("empty-bin")
        let configuration = InventoryConfiguration(
            root: temp.path, searchPath: temp.path + "/empty-bin", commandTimeout: 2, now: { 1_700_000_000 })
        return (temp, configuration)
    }

    @Test func usersAreClassifiedAndGroupsResolved() throws {
        let (temp, configuration) = try Self.fakeRoot()
        let users = UsersCollector(configuration: configuration).collect()
        _ = temp
        let kinds = Dictionary(uniqueKeysWithValues: users.accounts.map { ($0.name, $0.kind) })
        #expect(
            kinds == [
                "root": .system, "daemon": .system, "bob": .human, "alice": .human, "svc": .system, "nobody": .system,
            ])
        let alice = try #require(users.accounts.first { $0.name == "alice" })
        #expect(alice.groups == ["alice", "sudo", "docker"])
        #expect(alice.home == "/home/alice" && alice.source == "passwd")
        #expect(users.groups.first { $0.name == "sudo" }?.members == ["alice", "bob"])
        #expect(users.unavailable == nil)
    }

    @Test func withoutLoginDefsHumansStartAt1000() throws {
        let (temp, configuration) = try Self.fakeRoot()
        try FileManager.default.removeItem(atPath: temp.path + "/etc/login.defs")
        let users = UsersCollector(configuration: configuration).collect()
        #expect(users.accounts.first { $0.name == "bob" }?.kind == .system)
    }

    @Test func applicationAccountsComeFromTheCommand() throws {
        var (temp, configuration) = try Self.fakeRoot()
        _ = temp
        let script = #"echo '[{"name": "app-alice", "uid": 5001, "home": "/srv/app/alice"}, {"name": "app-bob"}]'"#
        configuration.applicationAccountsCommand = ["/bin/sh", "-c", script]
        let users = UsersCollector(configuration: configuration).collect()
        let app = users.accounts.filter { $0.kind == .application }
        #expect(app.map(\.name) == ["app-alice", "app-bob"])
        #expect(app.first?.uid == 5001 && app.first?.home == "/srv/app/alice")
        #expect(app.first?.source == "/bin/sh -c \(script)")
    }

    @Test func failingOrHangingApplicationCommandsAreRecorded() throws {
        var (temp, configuration) = try Self.fakeRoot()
        _ = temp
        configuration.applicationAccountsCommand = ["/bin/sh", "-c", "echo broken >&2; exit 3"]
        let failed = UsersCollector(configuration: configuration).collect()
        #expect(failed.unavailable == "application accounts: /bin/sh failed with status 3: broken")
        #expect(failed.accounts.contains { $0.name == "alice" })

        // Killed, not waited for: the bound is far below the sleep, and far above what a loaded machine
        // takes to deliver the kill (a run beside the whole suite once took 13 s).
        configuration.applicationAccountsCommand = ["/bin/sh", "-c", "exec /bin/sleep 600"]
        configuration.commandTimeout = 0.5
        let started = Date()
        let hung = UsersCollector(configuration: configuration).collect()
        #expect(hung.unavailable == "application accounts: /bin/sh did not finish within 0.5 s")
        #expect(Date().timeIntervalSince(started) < 120)

        configuration.applicationAccountsCommand = ["/bin/echo", "not json"]
        #expect(UsersCollector(configuration: configuration).collect().unavailable?.contains("JSON array") == true)
    }

    @Test func missingToolsMakeDocumentsUnavailable() throws {
        let (temp, configuration) = try Self.fakeRoot()
        _ = temp
        let packages = PackagesCollector(configuration: configuration).collect()
        #expect(
            packages
                == PackagesInventory(manager: nil, packages: [], unavailable: "dpkg-query not found, rpm not found"))
        let services = ServicesCollector(configuration: configuration).collect()
        #expect(services == ServicesInventory(manager: nil, units: [], unavailable: "systemctl not found"))
    }

    @Test func toolOutputIsParsed() {
        let packages = PackagesCollector.parse("zlib1g\t1:1.2.13\tamd64\nbash\t5.2.15-2\tamd64\n\nbad line\n")
        #expect(
            packages == [
                .init(name: "bash", version: "5.2.15-2", architecture: "amd64"),
                .init(name: "zlib1g", version: "1:1.2.13", architecture: "amd64"),
            ])
        let units = ServicesCollector.parse(
            units:
                "ssh.service loaded active running OpenBSD Secure Shell server\ncron.service loaded inactive dead Regular background\n",
            unitFiles: "ssh.service enabled enabled\ncron.service disabled enabled\n")
        #expect(
            units == [
                .init(name: "cron.service", load: "loaded", active: "inactive", sub: "dead", enabled: "disabled"),
                .init(name: "ssh.service", load: "loaded", active: "active", sub: "running", enabled: "enabled"),
            ])
    }

    @Test func systemDocumentReadsTheFakeRoot() throws {
        let (temp, configuration) = try Self.fakeRoot()
        _ = temp
        let system = SystemCollector(configuration: configuration).collect()
        #expect(system.osRelease == .init(id: "debian", versionId: "12", prettyName: "Debian GNU/Linux 12 (bookworm)"))
        #expect(system.cpu == .init(model: "Test CPU", cores: 2))
        #expect(system.memoryBytes == 8_000_000 * 1024)
        #expect(system.collectedAt == "2023-11-14 22:13:20Z")
        #expect(!system.kernel.release.isEmpty && !system.hostname.isEmpty)
        #expect(system.interfaces.contains { $0.name == "lo" && $0.addresses.contains("127.0.0.1/8") })
        #expect(SystemCollector.unescapeMountField("/mnt/my\\040disk") == "/mnt/my disk")
    }

    @Test func collectAllGivesFourDeterministicSortedKeyDocuments() throws {
        let (temp, configuration) = try Self.fakeRoot()
        _ = temp
        let first = try InventoryCollector.collectAll(configuration)
        let second = try InventoryCollector.collectAll(configuration)
        #expect(first.map(\.kind) == ["users", "system", "packages", "services"])
        #expect(first.map(\.json) == second.map(\.json))
        let users = String(decoding: try #require(first.first?.json), as: UTF8.self)
        #expect(
            users.hasPrefix(#"{"accounts":[{"gid":0,"groups":["root"],"home":"/root","kind":"system","name":"root""#))
        let decoded = try JSONDecoder().decode(UsersInventory.self, from: Data(try #require(first.first?.json)))
        #expect(decoded == UsersCollector(configuration: configuration).collect())
    }
}

@Suite("Inventory on this host")
struct HostInventoryTests {
    @Test func realPackageManagerIsQueriedWhenPresent() throws {
        let configuration = InventoryConfiguration()
        guard CommandRunner(searchPath: configuration.searchPath, timeout: 5).locate("dpkg-query") != nil else {
            return
        }
        let packages = PackagesCollector(configuration: configuration).collect()
        #expect(packages.manager == "dpkg" && packages.unavailable == nil)
        #expect(packages.packages.contains { $0.name == "dpkg" && !$0.version.isEmpty && !$0.architecture.isEmpty })
        let services = ServicesCollector(configuration: configuration).collect()
        #expect(services.manager == "systemd" || services.unavailable != nil)
    }
}
