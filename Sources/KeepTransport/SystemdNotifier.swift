import Foundation
import KeepCore

/// systemd's readiness protocol without libsystemd: when the service manager set `NOTIFY_SOCKET`
/// (`Type=notify` units), a state such as `READY=1` or `STOPPING=1` goes to that unix datagram
/// socket, so `systemctl start` returns once the daemon really listens.
public enum SystemdNotifier {
    /// Sends `state` (`KEY=value` lines) to `NOTIFY_SOCKET` if it is set. Returns false when there is
    /// no socket to notify (not started by systemd); throws when the socket cannot be reached.
    @discardableResult
    public static func notify(
        _ state: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Bool {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // "@name" is an abstract socket: its address starts with a NUL byte instead of the "@".
        var pathBytes = Array(path.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.first == UInt8(ascii: "/") || pathBytes.first == 0, pathBytes.count < capacity else {
            throw KeepError(
                .configuration, "NOTIFY_SOCKET is neither an absolute path nor an abstract socket name",
                context: path, hint: "start the daemon from systemd or unset NOTIFY_SOCKET")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw KeepError(.io, "cannot create a socket to notify systemd: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { bytes in
                    sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        guard sent == message.count else {
            throw KeepError(
                .io, "cannot notify systemd: \(String(cString: strerror(errno)))", context: path,
                hint: "check that the service manager's notification socket still exists")
        }
        return true
    }
}
