import KeepCore

/// The agents connected right now, by host id. A new session of a host replaces an older one.
actor AgentRegistry {
    private var links: [String: AgentLink] = [:]
    /// Every pool that had an agent connected, so its gauge drops to 0 instead of going stale.
    private var pools: Set<String> = []

    /// Registers a freshly established agent; returns the session it replaces, if any.
    func register(_ link: AgentLink) -> AgentLink? {
        let previous = links[link.hostID]
        links[link.hostID] = link
        updateGauges()
        return previous
    }

    /// Removes `link` unless a newer session of the same host already replaced it.
    func unregister(_ link: AgentLink) {
        if links[link.hostID] === link { links[link.hostID] = nil }
        updateGauges()
    }

    func link(for host: String) -> AgentLink? { links[host] }

    var connected: [AgentLink] { Array(links.values) }

    private func updateGauges() {
        var counts: [String: Int] = [:]
        for link in links.values { counts[link.pool, default: 0] += 1 }
        pools.formUnion(counts.keys)
        for pool in pools { ControllerMetrics.agentsConnected(pool: pool).record(counts[pool] ?? 0) }
    }
}
