import KeepCore

/// Builds the `services` inventory from `systemctl list-units` and `list-unit-files`.
/// Hosts without systemd (containers, other init systems) get `unavailable`, never an error.
public struct ServicesCollector: Sendable {
    public var configuration: InventoryConfiguration

    /// A collector using `configuration.searchPath` and `commandTimeout`.
    public init(configuration: InventoryConfiguration) {
        self.configuration = configuration
    }

    /// Collects the document, units sorted by name.
    public func collect() -> ServicesInventory {
        let runner = CommandRunner(searchPath: configuration.searchPath, timeout: configuration.commandTimeout)
        do {
            let units = try runner.run([
                "systemctl", "list-units", "--all", "--type=service", "--no-legend", "--plain", "--no-pager",
            ])
            // Enablement is extra information: without it the unit list is still worth keeping.
            let files = try? runner.run([
                "systemctl", "list-unit-files", "--type=service", "--no-legend", "--plain", "--no-pager",
            ])
            return ServicesInventory(
                manager: "systemd", units: Self.parse(units: units, unitFiles: files ?? ""), unavailable: nil)
        } catch {
            return ServicesInventory(manager: nil, units: [], unavailable: error.description)
        }
    }

    /// `UNIT LOAD ACTIVE SUB DESCRIPTION…` lines joined with `UNIT STATE [PRESET]` lines.
    static func parse(units: String, unitFiles: String) -> [ServicesInventory.Unit] {
        var enabled: [String: String] = [:]
        for line in unitFiles.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2 { enabled[String(fields[0])] = String(fields[1]) }
        }
        var seen = Set<String>()
        return units.split(separator: "\n").compactMap { line -> ServicesInventory.Unit? in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 4, !seen.contains(fields[0]) else { return nil }
            seen.insert(fields[0])
            return ServicesInventory.Unit(
                name: fields[0], load: fields[1], active: fields[2], sub: fields[3], enabled: enabled[fields[0]])
        }.sorted { $0.name < $1.name }
    }
}
