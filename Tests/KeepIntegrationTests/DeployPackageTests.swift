import Foundation
import KeepController
import Testing

/// `build-deb.sh` on fake programs (no release build), and the systemd units checked by systemd itself.
/// The packages are inspected and extracted with dpkg-deb, never installed on this machine.
@Suite("Deploy packages and units")
struct DeployPackageTests {
    static let hasDpkgDeb = FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg-deb")
    static let hasSystemdAnalyze = FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")

    /// The architecture in the file names, as dpkg spells it.
    static func architecture(_ fixture: DeployFixture) throws -> String {
        let outcome = try fixture.execute("/usr/bin/dpkg", ["--print-architecture"])
        return outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(
        "build-deb.sh makes three packages with programs, units, examples and Debian dependencies",
        .enabled(if: hasDpkgDeb))
    func packagesHoldWhatAServerNeeds() throws {
        let fixture = try DeployFixture()
        let out = fixture.base + "/dist"
        let build = try fixture.run("build-deb.sh", ["--binary-dir", fixture.binaries, "--out", out])
        #expect(build.status == 0, "\(build.errors)")
        let architecture = try Self.architecture(fixture)

        let expected: [String: [String]] = [
            "keep-controller": [
                "./usr/bin/keep-controller", "./lib/systemd/system/keep-controller.service",
                "./usr/share/doc/keep-controller/examples/controller.yaml",
                "./usr/share/keep-controller/install-controller.sh",
            ],
            "keep-agent": [
                "./usr/bin/keep-agent", "./lib/systemd/system/keep-agent.service",
                "./usr/share/doc/keep-agent/examples/agent.yaml", "./usr/share/keep-agent/install-agent.sh",
            ],
            "keepctl": ["./usr/bin/keepctl", "./usr/share/doc/keepctl/examples/keepctl.yaml"],
        ]
        for (package, paths) in expected {
            let file = "\(out)/\(package)_0.1.0_\(architecture).deb"
            let contents = try fixture.execute("/usr/bin/dpkg-deb", ["--contents", file])
            #expect(contents.status == 0, "\(package): \(contents.errors)")
            for path in paths {
                #expect(contents.output.contains(" \(path)\n"), "\(package) lacks \(path)")
            }
            #expect(contents.output.contains("root/root"))

            let info = try fixture.execute("/usr/bin/dpkg-deb", ["--field", file, "Package", "Version", "Depends"])
            #expect(info.output.contains("Package: \(package)\n"))
            #expect(info.output.contains("Version: 0.1.0\n"))
            for dependency in ["libssl3", "libzstd1", "libsqlite3-0"] {
                #expect(info.output.contains(dependency), "\(package) does not depend on \(dependency)")
            }
        }

        let scripts = try fixture.execute(
            "/usr/bin/dpkg-deb", ["--info", "\(out)/keep-controller_0.1.0_\(architecture).deb", "postinst"])
        #expect(scripts.output.contains("useradd --system"))
    }

    @Test(
        "the packaged install script configures a server from the package's own files",
        .enabled(if: hasDpkgDeb))
    func packagedInstallScriptWorks() throws {
        let fixture = try DeployFixture()
        let out = fixture.base + "/dist"
        #expect(try fixture.run("build-deb.sh", ["--binary-dir", fixture.binaries, "--out", out]).status == 0)
        let package = "\(out)/keep-controller_0.1.0_\(try Self.architecture(fixture)).deb"
        #expect(try fixture.execute("/usr/bin/dpkg-deb", ["-x", package, fixture.root]).status == 0)

        // No --binary-dir: the program and the unit come from the package.
        let outcome = try fixture.run(
            fixture.installed("/usr/share/keep-controller/install-controller.sh"),
            ["--root", fixture.root, "--no-user", "--pki", fixture.pki, "--name", "keep.example.com"])
        #expect(outcome.status == 0, "\(outcome.errors)")
        #expect(!fixture.exists("/etc/systemd/system/keep-controller.service"))
        #expect(fixture.mode("/etc/keep/pki/controller.key") == 0o600)
        let configuration = try ControllerConfiguration.load(path: fixture.installed("/etc/keep/controller.yaml"))
        #expect(configuration.name == "keep.example.com")
    }

    @Test("a real program's dependencies come from the libraries it links", .enabled(if: hasDpkgDeb))
    func dependenciesFollowTheLinkedLibraries() throws {
        let fixture = try DeployFixture()
        // /usr/bin/true is an ELF program that links libc only.
        try FileManager.default.removeItem(atPath: fixture.binaries + "/keepctl")
        try FileManager.default.copyItem(atPath: "/usr/bin/true", toPath: fixture.binaries + "/keepctl")
        let out = fixture.base + "/dist"
        let build = try fixture.run("build-deb.sh", ["--binary-dir", fixture.binaries, "--out", out])
        #expect(build.status == 0, "\(build.errors)")
        let file = "\(out)/keepctl_0.1.0_\(try Self.architecture(fixture)).deb"
        let depends = try fixture.execute("/usr/bin/dpkg-deb", ["--field", file, "Depends"])
        #expect(depends.output == "libc6\n")
    }

    @Test(
        "build-deb.sh refuses a program that needs the Swift runtime as a shared library",
        .enabled(if: hasDpkgDeb))
    func dynamicSwiftRuntimeIsRefused() throws {
        let fixture = try DeployFixture()
        // This test process is a Swift program linked against libswiftCore.so.
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        try FileManager.default.removeItem(atPath: fixture.binaries + "/keep-agent")
        try FileManager.default.copyItem(atPath: executable, toPath: fixture.binaries + "/keep-agent")
        let outcome = try fixture.run(
            "build-deb.sh", ["--binary-dir", fixture.binaries, "--out", fixture.base + "/dist"])
        #expect(outcome.status != 0)
        #expect(outcome.errors.contains("keep-agent needs lib"))
        #expect(outcome.errors.contains("which no package dependency provides"))
        #expect(outcome.errors.contains("--static-swift-stdlib"))
    }

    @Test("systemd-analyze verify accepts both units as installed", .enabled(if: hasSystemdAnalyze))
    func unitsVerify() throws {
        let fixture = try DeployFixture()
        #expect(try fixture.installController().status == 0)
        #expect(try fixture.installAgent().status == 0)
        // verify --root resolves dependencies such as multi-user.target inside the root.
        try FileManager.default.createDirectory(
            atPath: fixture.installed("/usr/lib/systemd"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: "/usr/lib/systemd/system", toPath: fixture.installed("/usr/lib/systemd/system"))
        let outcome = try fixture.execute(
            "/usr/bin/systemd-analyze",
            [
                "verify", "--root=" + fixture.root, "/etc/systemd/system/keep-controller.service",
                "/etc/systemd/system/keep-agent.service",
            ])
        #expect(outcome.status == 0, "\(outcome.errors)")
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
    }
}
