/// Ids of catalog objects. They are short, sortable by creation time and safe in paths:
/// a prefix naming the kind, the creation time in UTC and 6 random hex digits,
/// for example `set-20261121T202412-3fa9c1`.
public protocol KeepIdentifier: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible
where RawValue == String {
    static var prefix: String { get }
    init(rawValue: String)
}

extension KeepIdentifier {
    public var description: String { rawValue }

    /// A new id for an object created at `date` (seconds since 1970, UTC).
    public static func generate(at secondsSince1970: Int64, random: UInt32) -> Self {
        let stamp = UTCStamp.compact(secondsSince1970)
        let suffix = String(random & 0xff_ffff, radix: 16)
        return Self(rawValue: "\(prefix)-\(stamp)-\(String(repeating: "0", count: 6 - suffix.count))\(suffix)")
    }
}

public struct BackupSetID: KeepIdentifier {
    public static let prefix = "set"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct SnapshotID: KeepIdentifier {
    public static let prefix = "snap"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct JobID: KeepIdentifier {
    public static let prefix = "job"
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// UTC timestamps without Foundation's formatters (civil-from-days, Howard Hinnant's algorithm).
public enum UTCStamp {
    /// `20261121T202412`
    public static func compact(_ seconds: Int64) -> String {
        let c = civil(seconds)
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2)
    }

    /// `2026-11-21 20:24:12Z`
    public static func readable(_ seconds: Int64) -> String {
        let c = civil(seconds)
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2)) \(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2))Z"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    private static func civil(_ seconds: Int64) -> (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60)
    }
}
