import Glibc
import KeepCore

/// Builds the `system` inventory: hostname and kernel (`gethostname`, `uname`), OS release,
/// CPU and memory (files below the configured root), mounted filesystems (`/proc/self/mounts`
/// plus `statvfs` on a real root) and network interfaces (`getifaddrs`).
public struct SystemCollector: Sendable {
    public var configuration: InventoryConfiguration

    /// Filesystem types that are kernel interfaces rather than storage, left out of `filesystems`.
    static let pseudoFilesystems: Set<String> = [
        "proc", "sysfs", "devpts", "devtmpfs", "cgroup", "cgroup2", "securityfs", "pstore", "debugfs",
        "tracefs", "configfs", "fusectl", "mqueue", "hugetlbfs", "bpf", "autofs", "binfmt_misc", "rpc_pipefs",
        "efivarfs", "nsfs", "selinuxfs",
    ]

    /// A collector reading below `configuration.root`.
    public init(configuration: InventoryConfiguration) {
        self.configuration = configuration
    }

    /// Collects the document; anything unreadable is left empty.
    public func collect() -> SystemInventory {
        let osText = configuration.read("/etc/os-release") ?? configuration.read("/usr/lib/os-release") ?? ""
        let os = Self.parseKeyValues(osText)
        return SystemInventory(
            hostname: Self.hostname(),
            osRelease: .init(
                id: os["ID"] ?? "", versionId: os["VERSION_ID"] ?? "", prettyName: os["PRETTY_NAME"] ?? ""),
            kernel: Self.kernel(),
            cpu: Self.parseCPU(configuration.read("/proc/cpuinfo") ?? ""),
            memoryBytes: Self.parseMemory(configuration.read("/proc/meminfo") ?? ""),
            filesystems: filesystems(),
            interfaces: NetworkInterfaces.list(),
            collectedAt: UTCStamp.readable(configuration.now()))
    }

    /// `KEY=value` lines with optional double or single quotes (os-release syntax).
    static func parseKeyValues(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[String(line[..<equals])] = value.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return values
    }

    static func parseCPU(_ text: String) -> SystemInventory.CPU {
        var model = ""
        var cores = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0] == "processor" { cores += 1 }
            if parts[0] == "model name", model.isEmpty { model = parts[1] }
        }
        if cores == 0 { cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
        return SystemInventory.CPU(model: model, cores: cores)
    }

    static func parseMemory(_ text: String) -> UInt64 {
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kibibytes = UInt64(fields[1]) { return kibibytes * 1024 }
        }
        return 0
    }

    private func filesystems() -> [SystemInventory.Filesystem] {
        let text = configuration.read("/proc/self/mounts") ?? ""
        var seen = Set<String>()
        var result: [SystemInventory.Filesystem] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map { Self.unescapeMountField(String($0)) }
            guard fields.count >= 3, !Self.pseudoFilesystems.contains(fields[2]), !seen.contains(fields[1]) else {
                continue
            }
            seen.insert(fields[1])
            var size: UInt64 = 0
            var free: UInt64 = 0
            var info = statvfs()
            if configuration.root == "/", statvfs(fields[1], &info) == 0 {
                size = UInt64(info.f_blocks) * UInt64(info.f_frsize)
                free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
            }
            result.append(
                .init(device: fields[0], mountPoint: fields[1], type: fields[2], sizeBytes: size, freeBytes: free))
        }
        return result.sorted { $0.mountPoint < $1.mountPoint }
    }

    /// `/proc/mounts` writes space, tab, newline and backslash as `\040`, `\011`, `\012`, `\134`.
    static func unescapeMountField(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let source = Array(field.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\\"), index + 3 < source.count,
                let value = UInt8(String(decoding: source[index + 1...index + 3], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, 255) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func kernel() -> SystemInventory.Kernel {
        var name = utsname()
        guard uname(&name) == 0 else { return .init(release: "", version: "", machine: "") }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return .init(release: text(name.release), version: text(name.version), machine: text(name.machine))
    }
}
