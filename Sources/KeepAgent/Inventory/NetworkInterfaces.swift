import Glibc
import KeepCore

/// Network interfaces and their addresses from `getifaddrs`.
enum NetworkInterfaces {
    static func list() -> [SystemInventory.NetworkInterface] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var addresses: [String: [String]] = [:]
        var macs: [String: String] = [:]
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let current = cursor {
            defer { cursor = current.pointee.ifa_next }
            guard let namePointer = current.pointee.ifa_name else { continue }
            let name = String(cString: namePointer)
            if addresses[name] == nil { addresses[name] = [] }
            guard let address = current.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET, AF_INET6:
                if let text = numericHost(address), let prefix = prefixLength(current.pointee.ifa_netmask) {
                    addresses[name, default: []].append("\(text)/\(prefix)")
                }
            case AF_PACKET:
                // struct sockaddr_ll (not imported by Glibc): sll_halen is byte 11, sll_addr[8] starts at 12.
                let raw = UnsafeRawPointer(address)
                let length = min(Int(raw.load(fromByteOffset: 11, as: UInt8.self)), 8)
                let mac = (0..<length).map { raw.load(fromByteOffset: 12 + $0, as: UInt8.self) }
                if !mac.isEmpty, mac.contains(where: { $0 != 0 }) {
                    macs[name] = mac.map { Hex.encode([$0]) }.joined(separator: ":")
                }
            default: break
            }
        }
        return addresses.keys.sorted().map { name in
            SystemInventory.NetworkInterface(name: name, addresses: (addresses[name] ?? []).sorted(), mac: macs[name])
        }
    }

    private static func numericHost(_ address: UnsafeMutablePointer<sockaddr>) -> String? {
        let length =
            address.pointee.sa_family == sa_family_t(AF_INET6)
            ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, socklen_t(length), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return nil
        }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The number of leading one bits of a netmask.
    private static func prefixLength(_ mask: UnsafeMutablePointer<sockaddr>?) -> Int? {
        guard let mask else { return nil }
        let bytes: [UInt8]
        switch Int32(mask.pointee.sa_family) {
        case AF_INET:
            bytes = mask.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) }
            }
        case AF_INET6:
            bytes = mask.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
            }
        default:
            return nil
        }
        return bytes.reduce(0) { $0 + $1.nonzeroBitCount }
    }
}
