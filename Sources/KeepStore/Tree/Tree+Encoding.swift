extension Tree {
    /// The canonical bytes of this tree (format version 1, big-endian, see `Protocol/TREE-FORMAT.md`).
    ///
    /// Total and deterministic: a `Tree` is valid by construction and every field has exactly one
    /// encoding, so equal trees give equal bytes and therefore equal ids.
    public func encode() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(16 + entries.count * 160)
        out += Tree.magic
        out.appendBigEndian(Tree.version)
        out.appendBigEndian(UInt32(entries.count))
        for entry in entries { entry.encode(into: &out) }
        return out
    }
}

extension TreeEntry {
    func encode(into out: inout [UInt8]) {
        out.append(kind.rawValue)
        out.appendBigEndian(UInt16(name.count))
        out += name
        out.appendBigEndian(mode)
        out.appendBigEndian(uid)
        out.appendBigEndian(gid)
        out.appendBigEndian(UInt16(userName.utf8.count))
        out += userName.utf8
        out.appendBigEndian(UInt16(groupName.utf8.count))
        out += groupName.utf8
        out.appendBigEndian(UInt64(bitPattern: modificationTime.seconds))
        out.appendBigEndian(modificationTime.nanoseconds)
        out.appendBigEndian(UInt64(bitPattern: changeTime.seconds))
        out.appendBigEndian(changeTime.nanoseconds)
        for value in [inode, device, size, rdev, hardLinkGroup] { out.appendBigEndian(value) }
        out.appendBigEndian(UInt16(symlinkTarget.count))
        out += symlinkTarget
        out.appendBigEndian(UInt16(extendedAttributes.count))
        for attribute in extendedAttributes {
            out.append(UInt8(attribute.name.count))
            out += attribute.name
            out.appendBigEndian(UInt32(attribute.value.count))
            out += attribute.value
        }
        if let subtree {
            out.append(1)
            out += subtree.bytes
        } else {
            out.append(0)
        }
        out.appendBigEndian(UInt32(content.count))
        for extent in content {
            out.appendBigEndian(extent.offset)
            out.appendBigEndian(UInt32(extent.chunks.count))
            for chunk in extent.chunks {
                out += chunk.id.bytes
                out.appendBigEndian(chunk.length)
            }
        }
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        var big = value.bigEndian
        Swift.withUnsafeBytes(of: &big) { append(contentsOf: $0) }
    }
}
