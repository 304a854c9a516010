/// One agent of a test fleet: its host id, pool, hooks, extra backed-up paths and environment.
public struct AgentSpec: Sendable, Hashable {
    /// Replaced by the fleet's directory in every hook argument, so a hook can leave a marker there.
    public static let fleetPlaceholder = "{fleet}"

    public var host: String
    public var pool: String
    /// argv of a pre-backup hook (run without a shell), or nil.
    public var preBackupHook: [String]?
    /// argv of the hooks around a rollback (run without a shell), or nil.
    public var preRollbackHook: [String]?
    public var postRollbackHook: [String]?
    public var rollbackAbortedHook: [String]?
    /// Whether the agent also backs up (and rolls back) its inventory root's `etc` (`hosts/<host>/root/etc`,
    /// where the users file is), as `config_paths`. Off: only `hosts/<host>/srv` is covered.
    public var backsUpEtc: Bool
    /// Extra environment variables of the keep-agent process (e.g. a test-only switch).
    public var environment: [String: String]

    public init(
        host: String, pool: String, preBackupHook: [String]? = nil, preRollbackHook: [String]? = nil,
        postRollbackHook: [String]? = nil, rollbackAbortedHook: [String]? = nil, backsUpEtc: Bool = false,
        environment: [String: String] = [:]
    ) {
        self.host = host
        self.pool = pool
        self.preBackupHook = preBackupHook
        self.preRollbackHook = preRollbackHook
        self.postRollbackHook = postRollbackHook
        self.rollbackAbortedHook = rollbackAbortedHook
        self.backsUpEtc = backsUpEtc
        self.environment = environment
    }
}
