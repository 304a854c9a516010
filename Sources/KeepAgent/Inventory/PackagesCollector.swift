import KeepCore

/// Builds the `packages` inventory with `dpkg-query` (Debian family) or `rpm` (Red Hat family).
/// A missing or failing tool is recorded in `unavailable`; it never fails the backup.
public struct PackagesCollector: Sendable {
    public var configuration: InventoryConfiguration

    /// A collector using `configuration.searchPath` and `commandTimeout`.
    public init(configuration: InventoryConfiguration) {
        self.configuration = configuration
    }

    /// Collects the document, packages sorted by name then architecture.
    public func collect() -> PackagesInventory {
        let runner = CommandRunner(searchPath: configuration.searchPath, timeout: configuration.commandTimeout)
        let manager: String
        let command: [String]
        if runner.locate("dpkg-query") != nil {
            manager = "dpkg"
            command = ["dpkg-query", "-W", "--showformat=${Package}\\t${Version}\\t${Architecture}\\n"]
        } else if runner.locate("rpm") != nil {
            manager = "rpm"
            command = ["rpm", "-qa", "--qf", "%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n"]
        } else {
            return PackagesInventory(manager: nil, packages: [], unavailable: "dpkg-query not found, rpm not found")
        }
        do {
            let output = try runner.run(command)
            return PackagesInventory(manager: manager, packages: Self.parse(output), unavailable: nil)
        } catch {
            return PackagesInventory(manager: manager, packages: [], unavailable: error.description)
        }
    }

    /// Tab-separated `name version architecture` lines.
    static func parse(_ output: String) -> [PackagesInventory.Package] {
        output.split(separator: "\n").compactMap { line -> PackagesInventory.Package? in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3, !fields[0].isEmpty else { return nil }
            return PackagesInventory.Package(name: fields[0], version: fields[1], architecture: fields[2])
        }.sorted { ($0.name, $0.architecture, $0.version) < ($1.name, $1.architecture, $1.version) }
    }
}
