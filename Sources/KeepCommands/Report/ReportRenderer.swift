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
