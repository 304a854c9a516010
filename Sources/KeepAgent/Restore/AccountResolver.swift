import Glibc

/// Maps the owner recorded in a snapshot to this system: by name when the name exists here
/// (`getpwnam_r`, `getgrnam_r`), else by the recorded number. Cached per name.
struct AccountResolver {
    private var users: [String: UInt32?] = [:]
    private var groups: [String: UInt32?] = [:]

    mutating func uid(name: String, recorded: UInt32) -> UInt32 {
        guard !name.isEmpty else { return recorded }
        if let cached = users[name] { return cached ?? recorded }
        let found: UInt32? = Self.lookUp { buffer, size in
            var record = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let status = getpwnam_r(name, &record, buffer, size, &result)
            if status == ERANGE { return .retry }
            return .done(status == 0 && result != nil ? record.pw_uid : nil)
        }
        users[name] = .some(found)
        return found ?? recorded
    }

    mutating func gid(name: String, recorded: UInt32) -> UInt32 {
        guard !name.isEmpty else { return recorded }
        if let cached = groups[name] { return cached ?? recorded }
        let found: UInt32? = Self.lookUp { buffer, size in
            var record = group()
            var result: UnsafeMutablePointer<group>?
            let status = getgrnam_r(name, &record, buffer, size, &result)
            if status == ERANGE { return .retry }
            return .done(status == 0 && result != nil ? record.gr_gid : nil)
        }
        groups[name] = .some(found)
        return found ?? recorded
    }

    private enum Step {
        case done(UInt32?)
        case retry
    }

    /// Runs a `*_r` lookup, growing the buffer on ERANGE.
    private static func lookUp(_ body: (UnsafeMutablePointer<CChar>, Int) -> Step) -> UInt32? {
        var size = 4096
        while size <= 1 << 20 {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            switch body(buffer, size) {
            case .done(let id): return id
            case .retry: size *= 4
            }
        }
        return nil
    }
}
