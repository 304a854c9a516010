import Foundation
import KeepAgent
import KeepController
import Testing

/// The administrator's tools in `Deploy/`: install scripts run into a temporary root with fake programs
/// and certificates, and the .deb builder run on fake programs. Nothing here touches the machine itself.
@Suite("Deploy scripts")
struct DeployTests {
    @Test("install-controller.sh lays out programs, unit, certificates and configuration with safe modes")
    func controllerInstall() throws {
        let fixture = try DeployFixture()
        let outcome = try fixture.installController()
        #expect(outcome.status == 0, "\(outcome.errors)")

        let expectedModes: [String: Int] = [
            "/etc/keep": 0o750, "/etc/keep/pki": 0o750, "/etc/keep/controller.yaml": 0o640,
            "/etc/keep/pki/ca.pem": 0o644, "/etc/keep/pki/crl.pem": 0o644,
            "/etc/keep/pki/controller.pem": 0o644, "/etc/keep/pki/controller.key": 0o600,
            "/var/lib/keep": 0o700, "/usr/bin/keep-controller": 0o755, "/usr/bin/keepctl": 0o755,
            "/etc/systemd/system/keep-controller.service": 0o644,
        ]
        for (path, mode) in expectedModes.sorted(by: { $0.key < $1.key }) {
            #expect(fixture.mode(path) == mode, "\(path)")
        }
        #expect(fixture.contents("/etc/keep/pki/controller.key") == "fake controllers/keep.example.com.key\n")
        #expect(fixture.contents("/usr/bin/keep-controller") == "#!/bin/sh\necho keep-controller\n")
        #expect(!fixture.exists("/etc/keep/pki/ca.key"))
        let unit = try #require(fixture.contents("/etc/systemd/system/keep-controller.service"))
        #expect(unit.contains("ExecStart=/usr/bin/keep-controller --config /etc/keep/controller.yaml"))
        #expect(outcome.output.contains("systemctl enable --now keep-controller.service"))

        // The written configuration is one the controller accepts, with the values given.
        let configuration = try ControllerConfiguration.load(path: fixture.installed("/etc/keep/controller.yaml"))
        #expect(configuration.name == "keep.example.com")
        #expect(configuration.listenAddress == "0.0.0.0")
        #expect(configuration.port == 7443)
        #expect(configuration.dataDirectory == "/var/lib/keep")
        #expect(configuration.tls.key == "/etc/keep/pki/controller.key")
        #expect(configuration.tls.crl == "/etc/keep/pki/crl.pem")
    }

    @Test("a second install changes nothing, and an edited configuration is never overwritten")
    func controllerInstallIsIdempotent() throws {
        let fixture = try DeployFixture()
        #expect(try fixture.installController().status == 0)
        let first = try fixture.tree()

        let again = try fixture.installController()
        #expect(again.status == 0, "\(again.errors)")
        #expect(try fixture.tree() == first)
        #expect(!again.output.contains("installed"))

        let edited = try #require(fixture.contents("/etc/keep/controller.yaml")) + "# tuned by the admin\n"
        try fixture.write(edited, to: fixture.installed("/etc/keep/controller.yaml"), mode: 0o600)
        let third = try fixture.installController(["--port", "9000"])
        #expect(third.status == 0, "\(third.errors)")
        #expect(fixture.contents("/etc/keep/controller.yaml") == edited)
        #expect(fixture.mode("/etc/keep/controller.yaml") == 0o640)
        #expect(third.output.contains("kept /etc/keep/controller.yaml"))
    }

    @Test("a renewed certificate replaces the installed one; the rest stays untouched")
    func renewedCertificateIsCopied() throws {
        let fixture = try DeployFixture()
        #expect(try fixture.installController().status == 0)
        let before = try fixture.tree()
        try fixture.write("renewed\n", to: fixture.pki + "/controllers/keep.example.com.pem", mode: 0o644)

        let outcome = try fixture.installController()
        #expect(outcome.status == 0, "\(outcome.errors)")
        #expect(fixture.contents("/etc/keep/pki/controller.pem") == "renewed\n")
        let after = try fixture.tree()
        let changed = Set(after.keys.filter { after[$0] != before[$0] })
        #expect(changed == ["/etc/keep/pki/controller.pem", "/etc/keep/pki"])
    }

    @Test("install-agent.sh writes an agent.yaml the agent accepts and a root-only key")
    func agentInstall() throws {
        let fixture = try DeployFixture()
        let outcome = try fixture.installAgent()
        #expect(outcome.status == 0, "\(outcome.errors)")
        #expect(fixture.mode("/etc/keep/pki/agent.key") == 0o600)
        #expect(fixture.mode("/etc/keep/agent.yaml") == 0o640)
        #expect(fixture.mode("/var/lib/keep-agent") == 0o700)
        #expect(fixture.mode("/usr/bin/keep-agent") == 0o755)
        #expect(!fixture.exists("/usr/bin/keep-controller"))
        let unit = try #require(fixture.contents("/etc/systemd/system/keep-agent.service"))
        #expect(unit.contains("CapabilityBoundingSet=CAP_DAC_READ_SEARCH"))

        let configuration = try AgentConfiguration.load(path: fixture.installed("/etc/keep/agent.yaml"))
        #expect(configuration.hostID == "web-01")
        #expect(configuration.pool == "fe-01")
        #expect(configuration.controllerEndpoint?.host == "keep.example.com")
        #expect(configuration.controllerEndpoint?.port == 7443)
        #expect(configuration.tls.key == "/etc/keep/pki/agent.key")
        #expect(configuration.configPaths == ["/etc"])

        let first = try fixture.tree()
        #expect(try fixture.installAgent().status == 0)
        #expect(try fixture.tree() == first)
    }

    @Test("the scripts refuse bad input with a hint instead of installing half a server")
    func scriptsRefuseBadInput() throws {
        let fixture = try DeployFixture()
        let noCertificates = try fixture.run(
            "install-controller.sh", ["--root", fixture.root, "--no-user", "--name", "keep.example.com"])
        #expect(noCertificates.status != 0)
        #expect(noCertificates.errors.contains("--pki"))

        let badController = try fixture.installAgent(["--controller", "keep.example.com"])
        #expect(badController.status != 0)
        #expect(badController.errors.contains("HOST:PORT"))

        let wrongHost = try fixture.run(
            "install-agent.sh",
            [
                "--root", fixture.root, "--binary-dir", fixture.binaries, "--pki", fixture.pki, "--host", "web-02",
                "--pool", "fe-01", "--controller", "keep.example.com:7443",
            ])
        #expect(wrongHost.status != 0)
        #expect(wrongHost.errors.contains("agents/web-02.pem is missing"))
        #expect(try fixture.tree().isEmpty)
    }

    @Test("uninstall.sh removes programs and units but keeps data and configuration unless --purge")
    func uninstallKeepsData() throws {
        let fixture = try DeployFixture()
        #expect(try fixture.installController().status == 0)
        #expect(try fixture.installAgent().status == 0)
        try fixture.write("backups\n", to: fixture.installed("/var/lib/keep/catalog.sqlite"), mode: 0o600)

        let removal = try fixture.run("uninstall.sh", ["controller", "--root", fixture.root])
        #expect(removal.status == 0, "\(removal.errors)")
        #expect(!fixture.exists("/usr/bin/keep-controller"))
        #expect(!fixture.exists("/usr/bin/keepctl"))
        #expect(!fixture.exists("/etc/systemd/system/keep-controller.service"))
        #expect(fixture.contents("/var/lib/keep/catalog.sqlite") == "backups\n")
        #expect(fixture.exists("/etc/keep/controller.yaml"))
        #expect(fixture.exists("/usr/bin/keep-agent"))
        let kept = try fixture.tree()
        #expect(try fixture.run("uninstall.sh", ["controller", "--root", fixture.root]).status == 0)
        #expect(try fixture.tree() == kept)

        let purge = try fixture.run("uninstall.sh", ["controller", "--purge", "--root", fixture.root])
        #expect(purge.status == 0, "\(purge.errors)")
        #expect(!fixture.exists("/var/lib/keep"))
        #expect(!fixture.exists("/etc/keep/controller.yaml"))
        // The agent on the same server still has its configuration and the shared CA certificate.
        #expect(fixture.exists("/etc/keep/agent.yaml"))
        #expect(fixture.exists("/etc/keep/pki/ca.pem"))

        #expect(try fixture.run("uninstall.sh", ["agent", "--purge", "--root", fixture.root]).status == 0)
        #expect(!fixture.exists("/etc/keep"))
        #expect(!fixture.exists("/var/lib/keep-agent"))
    }

    @Test("the example configurations are valid and mention every option")
    func examplesAreComplete() throws {
        let examples = DeployFixture.deployDirectory + "/examples/"
        let controller = try ControllerConfiguration.load(path: examples + "controller.yaml")
        #expect(controller.port == 7443)
        let agent = try AgentConfiguration.load(path: examples + "agent.yaml")
        #expect(agent.sources.first?.exclude.isEmpty == false)

        let options: [String: [String]] = [
            "controller.yaml": [
                "name", "listen", "port", "data", "tls", "certificate", "key", "ca", "crl", "passphrase_file",
                "ready_file",
            ],
            "agent.yaml": [
                "controller", "host", "pool", "state", "tls", "certificate", "key", "ca", "server_name", "sources",
                "path", "include", "exclude", "one_file_system", "config_paths", "inventory", "root",
                "application_accounts_command", "command_timeout", "hooks", "pre_backup", "post_backup", "command",
                "timeout",
            ],
            "keepctl.yaml": ["controller", "cert", "key", "ca"],
        ]
        for (file, keys) in options {
            let text = try String(contentsOfFile: examples + file, encoding: .utf8)
            let lines = text.split(separator: "\n").map { $0.drop { $0 == " " || $0 == "#" || $0 == "-" } }
            for key in keys {
                #expect(lines.contains { $0.hasPrefix(key + ":") }, "\(file) does not show \(key)")
            }
        }
    }
}
