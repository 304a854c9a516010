import KeepStore

extension RestoreSession {
    /// Lists what restoring `entry` at `path` would write, fetching trees but no data and touching
    /// nothing on disk. Names are checked as a real restore checks them.
    func describe(_ entry: TreeEntry, path: [UInt8]) async {
        do {
            try TreeEntry.checkName(entry.name)
        } catch {
            fail(.hostileTree(path: TreeEntry.displayName(of: path), reason: "\(error)"))
            return
        }
        summary.wouldWrite.append("\(entry.kind) \(TreeEntry.displayName(of: path))")
        switch entry.kind {
        case .directory:
            summary.directories += 1
            guard let children = await children(of: entry, path: path) else { return }
            for child in children { await describe(child, path: joinPath(path, child.name)) }
        case .file:
            summary.files += 1
            summary.bytes += entry.content.reduce(0) { $0 + $1.length }
        case .symlink: summary.symlinks += 1
        default: summary.others += 1
        }
    }
}
