import KeepCore

/// The agents connected right now, by host id. A new session of a host replaces an older one.
actor AgentRegistry {
    private var links: [String: AgentLink] = [:]

    /// Registers a freshly established agent; returns the session it replaces, if any.
    func register(_ link: AgentLink) -> AgentLink? {
        let previous = links[link.hostID]
        links[link.hostID] = link
        return previous
    }

    /// Removes `link` unless a newer session of the same host already replaced it.
    func unregister(_ link: AgentLink) {
        if links[link.hostID] === link { links[link.hostID] = nil }
    }

    func link(for host: String) -> AgentLink? { links[host] }

    var connected: [AgentLink] { Array(links.values) }
}
