import Foundation
import Glibc
import KeepStore

/// Applies recorded metadata in the order that keeps it: owner first (chown clears setuid/setgid),
/// then extended attributes (an ACL rewrites the group bits), then the mode, then the times
/// (atime = mtime). Returns one message per part that failed; an unprivileged restore skips owners
/// it may not set instead of reporting each one.
enum MetadataApplier {
    /// Through an open regular file or directory: no name lookup at all.
    static func apply(_ metadata: EntryMetadata, descriptor: Int32) -> [String] {
        var failures: [String] = []
        if fchown(descriptor, metadata.uid, metadata.gid) != 0 { ownerFailure(errno, &failures) }
        if let functions = XattrWriter.functions {
            for attribute in metadata.attributes {
                let name = DirectoryOps.cString(Array(attribute.name))
                let result = attribute.value.withUnsafeBytes {
                    functions.fileSet(descriptor, name, $0.baseAddress, attribute.value.count, 0)
                }
                if result != 0 { failures.append(attributeFailure(attribute, errno)) }
            }
        }
        if fchmod(descriptor, mode_t(metadata.mode)) != 0 {
            failures.append("cannot set mode: \(errorText(errno))")
        }
        var times = Self.times(metadata)
        if futimens(descriptor, &times) != 0 { failures.append("cannot set times: \(errorText(errno))") }
        return failures
    }

    /// To `name` inside `parent` without following it (symlinks, fifos, devices, and a rollback's
    /// metadata-only changes). With `removeOthers`, attributes the snapshot does not list are removed.
    static func apply(_ metadata: EntryMetadata, parent: Int32, name: [UInt8], removeOthers: Bool) -> [String] {
        var failures: [String] = []
        let cName = DirectoryOps.cString(name)
        if fchownat(parent, cName, metadata.uid, metadata.gid, AT_SYMLINK_NOFOLLOW) != 0 {
            ownerFailure(errno, &failures)
        }
        let proc = DirectoryOps.procPath(parent, name)
        let cProc = DirectoryOps.cString(proc)
        if let functions = XattrWriter.functions {
            if removeOthers {
                let wanted = Set(metadata.attributes.map { Array($0.name) })
                for existing in ExtendedAttributeReader.read(path: proc).attributes
                where !wanted.contains(existing.name) {
                    if functions.pathRemove(cProc, DirectoryOps.cString(existing.name)) != 0 {
                        failures.append("cannot remove extended attribute: \(errorText(errno))")
                    }
                }
            }
            for attribute in metadata.attributes {
                let attributeName = DirectoryOps.cString(Array(attribute.name))
                let result = attribute.value.withUnsafeBytes {
                    functions.pathSet(cProc, attributeName, $0.baseAddress, attribute.value.count, 0)
                }
                if result != 0 { failures.append(attributeFailure(attribute, errno)) }
            }
        }
        if !metadata.isSymlink, fchmodat(parent, cName, mode_t(metadata.mode), AT_SYMLINK_NOFOLLOW) != 0 {
            failures.append("cannot set mode: \(errorText(errno))")
        }
        var times = Self.times(metadata)
        if utimensat(parent, cName, &times, AT_SYMLINK_NOFOLLOW) != 0 {
            failures.append("cannot set times: \(errorText(errno))")
        }
        return failures
    }

    private static func times(_ metadata: EntryMetadata) -> [timespec] {
        let time = timespec(tv_sec: Int(metadata.mtimeSeconds), tv_nsec: Int(metadata.mtimeNanoseconds))
        return [time, time]
    }

    private static func ownerFailure(_ code: Int32, _ failures: inout [String]) {
        if code == EPERM, geteuid() != 0 { return }
        failures.append("cannot set owner: \(errorText(code))")
    }

    private static func attributeFailure(_ attribute: EntryMetadata.Attribute, _ code: Int32) -> String {
        "cannot set extended attribute \(TreeEntry.displayName(of: Array(attribute.name))): \(errorText(code))"
    }
}
