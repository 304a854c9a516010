/// A directory listing stored as a content-addressed object: its id is the SHA-256 of `encode()`.
///
/// Entries are sorted by name bytes and unique, and each one passed `TreeEntry.validate()`, so a
/// `Tree` value always encodes to bytes that `decode(_:)` accepts, and the same listing always
/// encodes to the same bytes. The byte layout is frozen in `Protocol/TREE-FORMAT.md`.
public struct Tree: Sendable, Hashable {
    /// `KEEPTREE`, the first 8 bytes of every tree object.
    public static let magic: [UInt8] = Array("KEEPTREE".utf8)
    /// The format version this build writes; change the format only by adding a version.
    public static let version: UInt16 = 1

    /// The entries, sorted by name bytes, no duplicates.
    public private(set) var entries: [TreeEntry]

    /// Builds a tree from entries in any order; throws if a name repeats or an entry is invalid.
    public init(entries: [TreeEntry]) throws(TreeFormatError) {
        let sorted = entries.sorted { $0.name.lexicographicallyPrecedes($1.name) }
        for (index, entry) in sorted.enumerated() {
            try entry.validate()
            if index > 0, !sorted[index - 1].name.lexicographicallyPrecedes(entry.name) {
                throw .unsortedNames(index: index, displayName: entry.displayName)
            }
        }
        self.entries = sorted
    }

    /// For the decoder, which has already checked order and validity.
    init(validatedEntries: [TreeEntry]) {
        self.entries = validatedEntries
    }

    /// The entry with this exact name, by binary search.
    public func entry(named name: [UInt8]) -> TreeEntry? {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].name == name { return entries[middle] }
            if entries[middle].name.lexicographicallyPrecedes(name) { low = middle + 1 } else { high = middle }
        }
        return nil
    }
}

/// Limits of format version 1; a decoder refuses anything larger before allocating for it.
public enum TreeLimits {
    /// Linux NAME_MAX.
    public static let nameBytes = 255
    /// Linux PATH_MAX minus the terminating NUL.
    public static let symlinkTargetBytes = 4095
    public static let accountNameBytes = 256
    public static let entries = 16_777_216
    public static let extendedAttributes = 4096
    /// Linux XATTR_NAME_MAX.
    public static let extendedAttributeNameBytes = 255
    /// Linux XATTR_SIZE_MAX.
    public static let extendedAttributeValueBytes = 65536
    public static let extents = 1_048_576
    public static let chunksPerExtent = 16_777_216
}
