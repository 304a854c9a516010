/// What a stored object is. The raw values are shared with the wire protocol's CHUNK header and the
/// pack index, so they are frozen.
public enum ObjectType: UInt8, Sendable, Hashable, CaseIterable {
    /// A chunk of file content.
    case data = 0
    /// An encoded directory listing.
    case tree = 1
}
