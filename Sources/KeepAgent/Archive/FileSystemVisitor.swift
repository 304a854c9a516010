import KeepStore

/// What a `FileSystemWalker` calls while it walks: the visitor turns walked metadata into finished
/// tree entries, bottom-up.
///
/// - `visit(file:)` for every non-directory, in name order: read the content through
///   `item.open()` when `item.needsContent`, fill `entry.content` and return the entry
///   (or `nil` to leave it out, e.g. after reporting a read error).
/// - `leave(directory:children:)` after all of a directory's children, with their finished entries
///   sorted by name: store `Tree(entries: children)`, set `entry.subtree` to its id and return the
///   entry (or `nil` to leave it out).
/// - `report(_:)` for each entry that could not be read; the walk then goes on.
/// - `willVisit(_:)` once per directory listing, before any of its entries is visited, with all of them
///   in the order they will be visited (a chance to read ahead; `item.open()` is valid during the call).
public protocol FileSystemVisitor {
    mutating func willVisit(_ items: [WalkedItem]) async
    mutating func visit(file item: WalkedItem) async throws -> TreeEntry?
    mutating func leave(directory item: WalkedItem, children: [TreeEntry]) async throws -> TreeEntry?
    mutating func report(_ error: PathError) async
}

extension FileSystemVisitor {
    public mutating func willVisit(_ items: [WalkedItem]) async {}
}
