import Glibc

/// uid → user name and gid → group name through NSS (`getpwuid_r`, `getgrgid_r`), cached because a
/// walk asks the same few ids millions of times. Unknown ids give an empty name.
struct AccountNameCache {
    private var users: [UInt32: String] = [:]
    private var groups: [UInt32: String] = [:]

    mutating func userName(_ uid: UInt32) -> String {
        if let name = users[uid] { return name }
        let name = Self.lookUp { buffer, size in
            var record = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let status = getpwuid_r(uid, &record, buffer, size, &result)
            guard status == 0 else { return .failure(status) }
            guard result != nil, let pointer = record.pw_name else { return .success("") }
            return .success(String(cString: pointer))
        }
        users[uid] = name
        return name
    }

    mutating func groupName(_ gid: UInt32) -> String {
        if let name = groups[gid] { return name }
        let name = Self.lookUp { buffer, size in
            var record = group()
            var result: UnsafeMutablePointer<group>?
            let status = getgrgid_r(gid, &record, buffer, size, &result)
            guard status == 0 else { return .failure(status) }
            guard result != nil, let pointer = record.gr_name else { return .success("") }
            return .success(String(cString: pointer))
        }
        groups[gid] = name
        return name
    }

    private enum Outcome {
        case success(String)
        case failure(Int32)
    }

    /// Runs a `*_r` lookup, growing the buffer on ERANGE; any other failure means "unknown".
    private static func lookUp(_ body: (UnsafeMutablePointer<CChar>, Int) -> Outcome) -> String {
        var size = 4096
        while size <= 1 << 20 {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            switch body(buffer, size) {
            case .success(let name): return name
            case .failure(let status) where status == ERANGE: size *= 4
            case .failure: return ""
            }
        }
        return ""
    }
}
