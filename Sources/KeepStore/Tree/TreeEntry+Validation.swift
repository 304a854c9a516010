extension TreeEntry {
    /// Checks the invariants the tree format promises a restore: a safe name, fields that fit the
    /// kind, sorted attributes and ordered, non-overlapping extents.
    public func validate() throws(TreeFormatError) {
        try Self.checkName(name)
        let display = displayName
        func invalid(_ field: String, _ reason: String) -> TreeFormatError {
            .invalidField(entry: display, field: field, reason: reason)
        }
        if mode & ~0o7777 != 0 { throw invalid("mode", "bits outside 0o7777") }
        if modificationTime.nanoseconds >= 1_000_000_000 { throw invalid("mtime", "nanoseconds out of range") }
        if changeTime.nanoseconds >= 1_000_000_000 { throw invalid("ctime", "nanoseconds out of range") }
        if userName.utf8.count > TreeLimits.accountNameBytes { throw invalid("user", "name too long") }
        if groupName.utf8.count > TreeLimits.accountNameBytes { throw invalid("group", "name too long") }
        if kind == .symlink {
            if symlinkTarget.isEmpty { throw invalid("target", "a symlink needs a target") }
            if symlinkTarget.contains(0) { throw invalid("target", "contains NUL") }
            if symlinkTarget.count > TreeLimits.symlinkTargetBytes { throw invalid("target", "too long") }
        } else if !symlinkTarget.isEmpty {
            throw invalid("target", "only symlinks have a target")
        }
        if kind != .directory, subtree != nil { throw invalid("subtree", "only directories have a subtree") }
        if kind != .file, !content.isEmpty { throw invalid("content", "only regular files have content") }
        if kind != .characterDevice, kind != .blockDevice, rdev != 0 { throw invalid("rdev", "only devices have one") }
        if kind == .directory, hardLinkGroup != 0 { throw invalid("hardLinkGroup", "directories cannot be hard links") }
        try validateAttributes(invalid)
        try validateContent(invalid)
    }

    private func validateAttributes(_ invalid: (String, String) -> TreeFormatError) throws(TreeFormatError) {
        if extendedAttributes.count > TreeLimits.extendedAttributes { throw invalid("xattrs", "too many") }
        for (index, attribute) in extendedAttributes.enumerated() {
            if attribute.name.isEmpty || attribute.name.contains(0)
                || attribute.name.count > TreeLimits.extendedAttributeNameBytes
            {
                throw invalid("xattrs", "attribute name is empty, too long or contains NUL")
            }
            if attribute.value.count > TreeLimits.extendedAttributeValueBytes {
                throw invalid("xattrs", "value too long")
            }
            if index > 0, !extendedAttributes[index - 1].name.lexicographicallyPrecedes(attribute.name) {
                throw invalid("xattrs", "names not sorted or repeated")
            }
        }
    }

    private func validateContent(_ invalid: (String, String) -> TreeFormatError) throws(TreeFormatError) {
        if content.count > TreeLimits.extents { throw invalid("content", "too many extents") }
        var end: UInt64 = 0
        for (index, extent) in content.enumerated() {
            if index > 0, extent.offset < end { throw invalid("content", "extents overlap or are out of order") }
            if extent.chunks.isEmpty { throw invalid("content", "empty extent") }
            if extent.chunks.count > TreeLimits.chunksPerExtent { throw invalid("content", "too many chunks") }
            var length: UInt64 = 0
            for chunk in extent.chunks {
                if chunk.length == 0 { throw invalid("content", "empty chunk") }
                length += UInt64(chunk.length)
            }
            let (sum, overflow) = extent.offset.addingReportingOverflow(length)
            if overflow { throw invalid("content", "extent ends past 2^64") }
            end = sum
        }
    }

    /// Refuses names a restore must never create: empty, `.`, `..`, containing `/` or NUL, or
    /// longer than NAME_MAX.
    public static func checkName(_ name: [UInt8]) throws(TreeFormatError) {
        let reason: String? =
            if name.isEmpty { "empty" } else if name == [0x2e] || name == [0x2e, 0x2e] {
                "dot entry"
            } else if name.contains(0x2f) { "contains /" } else if name.contains(0) {
                "contains NUL"
            } else if name.count > TreeLimits.nameBytes { "longer than \(TreeLimits.nameBytes) bytes" } else { nil }
        if let reason { throw .hostileName(displayName: displayName(of: name), reason: reason) }
    }
}
