/// One agent of a test fleet: its host id, pool and optional pre-backup hook.
public struct AgentSpec: Sendable, Hashable {
    public var host: String
    public var pool: String
    /// argv of a pre-backup hook (run without a shell), or nil.
    public var preBackupHook: [String]?

    public init(host: String, pool: String, preBackupHook: [String]? = nil) {
        self.host = host
        self.pool = pool
        self.preBackupHook = preBackupHook
    }
}
