import ArgumentParser
import KeepCore

/// Turns a `PoolReport` into a document. Renderers are pure: same report, same bytes.
public protocol ReportRenderer: Sendable {
    func render(_ report: PoolReport) -> String
}

/// The document formats `keepctl report --format` offers.
public enum ReportFormat: String, Sendable, CaseIterable, ExpressibleByArgument {
    /// GitHub-flavoured Markdown: tables and lists, for a wiki or a change ticket.
    case markdown
    /// One self-contained HTML file (inline CSS, no scripts) that reads well in a browser and prints well.
    case html

    /// The renderer of this format.
    public var renderer: any ReportRenderer {
        switch self {
        case .markdown: MarkdownRenderer()
        case .html: HTMLRenderer()
        }
    }
}

/// Wording shared by the renderers, so both formats say the same thing.
enum ReportWording {
    static func title(_ report: PoolReport) -> String { "Pool \(report.pool)" }

    /// Where the data comes from: the set asked for, or the newest snapshot of each host.
    static func source(_ report: PoolReport) -> String {
        if let id = report.requestedSetID { return "backup set \(id)" }
        return "the newest snapshot of each host"
    }

    static func set(_ set: BackupSetSummary) -> String {
        var parts: [String] = []
        if !set.label.isEmpty { parts.append("“\(set.label)”") }
        if set.created != 0 { parts.append("created \(Console.time(set.created))") }
        if !set.status.isEmpty { parts.append(set.status) }
        return parts.isEmpty ? set.id : "\(set.id) (\(parts.joined(separator: ", ")))"
    }

    static func kernel(_ kernel: SystemInventory.Kernel?) -> String {
        guard let kernel else { return "unknown" }
        return [kernel.release, kernel.machine].filter { !$0.isEmpty }.joined(separator: " ")
    }

    static func cpu(_ cpu: SystemInventory.CPU?) -> String {
        guard let cpu else { return "unknown" }
        let cores = cpu.cores == 1 ? "1 core" : "\(cpu.cores) cores"
        return cpu.model.isEmpty ? cores : "\(cpu.model), \(cores)"
    }

    static func memory(_ bytes: UInt64?) -> String {
        guard let bytes, bytes > 0 else { return "unknown" }
        return Console.bytes(bytes)
    }

    static func used(_ filesystem: SystemInventory.Filesystem) -> String {
        guard filesystem.sizeBytes > 0 else { return "-" }
        let used = Double(filesystem.sizeBytes - min(filesystem.freeBytes, filesystem.sizeBytes))
        return "\(Int((used / Double(filesystem.sizeBytes) * 100).rounded())) %"
    }

    static func kinds(_ kinds: [UsersInventory.Kind]) -> String { kinds.map(\.rawValue).joined(separator: ", ") }

    static func uids(_ uids: [UInt32]) -> String { uids.isEmpty ? "-" : uids.map(String.init).joined(separator: ", ") }

    static func accountCount(_ report: PoolReport) -> String {
        let accounts = report.accounts
        let humans = accounts.filter { $0.kinds.contains(.human) }.count
        let applications = accounts.filter { $0.kinds.contains(.application) }.count
        return "\(accounts.count) unique (\(humans) human, \(applications) application); "
            + "\(report.systemAccountCount) system accounts not listed"
    }

    static func service(_ unit: ServicesInventory.Unit) -> String {
        unit.sub.isEmpty || unit.sub == unit.active ? unit.active : "\(unit.active) (\(unit.sub))"
    }
}

/// A table both renderers show: the same columns and cells, each format marking them up its own way.
struct ReportTable {
    var headers: [String]
    var rows: [[String]]
    /// Columns holding numbers (right-aligned in HTML).
    var numeric: Set<Int> = []

    static func operatingSystems(_ report: PoolReport) -> ReportTable {
        ReportTable(
            headers: ["OS", "Hosts"], rows: report.operatingSystems.map { [$0.name, $0.hosts.joined(separator: ", ")] })
    }

    static func poolAccounts(_ report: PoolReport) -> ReportTable {
        ReportTable(
            headers: ["User", "Kind", "UID", "Hosts"],
            rows: report.accounts.map {
                [$0.name, ReportWording.kinds($0.kinds), ReportWording.uids($0.uids), $0.hosts.joined(separator: ", ")]
            },
            numeric: [2])
    }

    static func filesystems(_ filesystems: [SystemInventory.Filesystem]) -> ReportTable {
        ReportTable(
            headers: ["Mount", "Type", "Device", "Size", "Free", "Used"],
            rows: filesystems.map {
                [
                    $0.mountPoint, $0.type, $0.device, Console.bytes($0.sizeBytes), Console.bytes($0.freeBytes),
                    ReportWording.used($0),
                ]
            },
            numeric: [3, 4, 5])
    }

    static func hostAccounts(_ host: HostReport) -> ReportTable {
        ReportTable(
            headers: ["User", "Kind", "UID", "Groups", "Home", "Shell"],
            rows: host.accounts.map {
                [
                    $0.name, $0.kind.rawValue, $0.uid.map { String($0) } ?? "-", $0.groups.joined(separator: ", "),
                    $0.home ?? "-", $0.shell ?? "-",
                ]
            },
            numeric: [2])
    }

    static func services(_ units: [ServicesInventory.Unit]) -> ReportTable {
        ReportTable(
            headers: ["Unit", "State", "Enabled"],
            rows: units.map { [$0.name, ReportWording.service($0), $0.enabled ?? "-"] })
    }
}
