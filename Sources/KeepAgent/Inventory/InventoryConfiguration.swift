import Foundation

/// Where and how the inventory collectors look.
///
/// Files are read below `root`, so tests can point the collectors at a fake `/etc` and `/proc`;
/// tools are looked up in `searchPath` only, and each gets at most `commandTimeout` seconds.
public struct InventoryConfiguration: Sendable {
    /// Prefix for `/etc/passwd`, `/etc/os-release`, `/proc/meminfo` and friends; `/` on a real host.
    public var root: String
    /// A `PATH`-style list of directories to find `dpkg-query`, `rpm` and `systemctl` in.
    public var searchPath: String
    /// An optional command (argv) that prints a JSON array of application accounts
    /// (`[{"name": "alice", "uid": 5001, "home": "/srv/app/alice", "shell": null, "groups": []}]`).
    public var applicationAccountsCommand: [String]?
    /// Seconds a command may run before it is killed and reported unavailable.
    public var commandTimeout: Double
    /// The clock for `collectedAt` (seconds since 1970); injected so tests are repeatable.
    public var now: @Sendable () -> Int64

    /// The configuration of a real host, with the process's `PATH`.
    public init(
        root: String = "/",
        searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        applicationAccountsCommand: [String]? = nil,
        commandTimeout: Double = 30,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.root = root
        self.searchPath = searchPath
        self.applicationAccountsCommand = applicationAccountsCommand
        self.commandTimeout = commandTimeout
        self.now = now
    }

    /// `path` (absolute, e.g. `/etc/passwd`) below `root`.
    func file(_ path: String) -> String {
        root == "/" ? path : (root.hasSuffix("/") ? String(root.dropLast()) : root) + path
    }

    /// The file's text, or `nil` when it does not exist or cannot be read.
    func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: file(path)) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
