import KeepCore

extension Tree {
    /// Smallest possible encoded entry (one-byte name, everything else empty).
    static let minimumEntrySize = 93

    /// Parses and validates a tree object. Total and paranoid: every length is bounds-checked before
    /// use, counts are capped before allocating, hostile names and unsorted or duplicate entries are
    /// refused, and trailing bytes are an error, so only canonical encodings are accepted.
    public static func decode(_ bytes: [UInt8]) throws(TreeFormatError) -> Tree {
        var reader = TreeByteReader(bytes)
        guard bytes.count >= magic.count, try reader.readBytes(magic.count) == magic else { throw .badMagic }
        let version = try reader.read(UInt16.self)
        guard version == Tree.version else { throw .unsupportedVersion(version) }
        let count = try reader.readCount(
            UInt32.self, limit: TreeLimits.entries, minimumItemSize: minimumEntrySize, field: "entry count")
        var entries = [TreeEntry]()
        entries.reserveCapacity(count)
        for index in 0..<count {
            let entry = try TreeEntry.decode(from: &reader)
            if index > 0, !entries[index - 1].name.lexicographicallyPrecedes(entry.name) {
                throw .unsortedNames(index: index, displayName: entry.displayName)
            }
            entries.append(entry)
        }
        guard reader.remaining == 0 else { throw .trailingBytes(count: reader.remaining) }
        return Tree(validatedEntries: entries)
    }
}

extension TreeEntry {
    static func decode(from reader: inout TreeByteReader) throws(TreeFormatError) -> TreeEntry {
        let kindByte = try reader.read(UInt8.self)
        let name = try reader.readCounted(UInt16.self, limit: TreeLimits.nameBytes, field: "name length")
        try checkName(name)
        let display = displayName(of: name)
        guard let kind = Kind(rawValue: kindByte) else {
            throw .invalidField(entry: display, field: "kind", reason: "unknown kind \(kindByte)")
        }
        var entry = TreeEntry(name: name, kind: kind)
        entry.mode = try reader.read(UInt32.self)
        entry.uid = try reader.read(UInt32.self)
        entry.gid = try reader.read(UInt32.self)
        entry.userName = try readText(&reader, entry: display, field: "user")
        entry.groupName = try readText(&reader, entry: display, field: "group")
        entry.modificationTime = try readTime(&reader)
        entry.changeTime = try readTime(&reader)
        entry.inode = try reader.read(UInt64.self)
        entry.device = try reader.read(UInt64.self)
        entry.size = try reader.read(UInt64.self)
        entry.rdev = try reader.read(UInt64.self)
        entry.hardLinkGroup = try reader.read(UInt64.self)
        entry.symlinkTarget = try reader.readCounted(
            UInt16.self, limit: TreeLimits.symlinkTargetBytes, field: "symlink target length")
        let attributeCount = try reader.readCount(
            UInt16.self, limit: TreeLimits.extendedAttributes, minimumItemSize: 6, field: "xattr count")
        for _ in 0..<attributeCount {
            let attributeName = try reader.readCounted(
                UInt8.self, limit: TreeLimits.extendedAttributeNameBytes, field: "xattr name length")
            let value = try reader.readCounted(
                UInt32.self, limit: TreeLimits.extendedAttributeValueBytes, field: "xattr value length")
            entry.extendedAttributes.append(ExtendedAttribute(name: attributeName, value: value))
        }
        switch try reader.read(UInt8.self) {
        case 0: break
        case 1: entry.subtree = ChunkID(bytes: try reader.readBytes(32))
        case let other: throw .invalidField(entry: display, field: "subtree flag", reason: "value \(other)")
        }
        let extentCount = try reader.readCount(
            UInt32.self, limit: TreeLimits.extents, minimumItemSize: 12, field: "extent count")
        for _ in 0..<extentCount {
            let offset = try reader.read(UInt64.self)
            let chunkCount = try reader.readCount(
                UInt32.self, limit: TreeLimits.chunksPerExtent, minimumItemSize: 36, field: "chunk count")
            var chunks = [ChunkRef]()
            chunks.reserveCapacity(chunkCount)
            for _ in 0..<chunkCount {
                let idBytes = try reader.readBytes(32)
                let length = try reader.read(UInt32.self)
                guard let id = ChunkID(bytes: idBytes) else { throw .truncated(offset: reader.offset, needed: 32) }
                chunks.append(ChunkRef(id: id, length: length))
            }
            entry.content.append(Extent(offset: offset, chunks: chunks))
        }
        try entry.validate()
        return entry
    }

    private static func readText(
        _ reader: inout TreeByteReader, entry: String, field: String
    ) throws(TreeFormatError) -> String {
        let bytes = try reader.readCounted(UInt16.self, limit: TreeLimits.accountNameBytes, field: "\(field) length")
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidField(entry: entry, field: field, reason: "not UTF-8")
        }
        return text
    }

    private static func readTime(_ reader: inout TreeByteReader) throws(TreeFormatError) -> FileTime {
        let seconds = Int64(bitPattern: try reader.read(UInt64.self))
        let nanoseconds = try reader.read(UInt32.self)
        return FileTime(seconds: seconds, nanoseconds: nanoseconds)
    }
}
