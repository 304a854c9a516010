import Foundation
import KeepCore
import KeepTransport
import Logging
import Testing

/// The systemd readiness sender against a real unix datagram socket, and the JSON log line format.
@Suite("sd_notify and JSON log lines")
struct MetricsNotifierTests {
    /// A bound unix datagram socket at `path` ("@name" for an abstract one) that receives one message.
    final class DatagramSocket {
        let descriptor: Int32

        init(path: String) throws {
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            try #require(descriptor >= 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            var bytes = Array(path.utf8)
            if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
            let bound = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
            }
            try #require(bound == 0, "bind: \(String(cString: strerror(errno)))")
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        func receive() -> String {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
        }

        deinit { close(descriptor) }
    }

    @Test("READY=1 and STOPPING=1 arrive on the NOTIFY_SOCKET path")
    func pathSocket() throws {
        let path = NSTemporaryDirectory() + "keep-notify-\(UInt32.random(in: 0...UInt32.max)).sock"
        defer { unlink(path) }
        let socket = try DatagramSocket(path: path)
        #expect(try SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": path]))
        #expect(socket.receive() == "READY=1")
        #expect(try SystemdNotifier.notify("STOPPING=1", environment: ["NOTIFY_SOCKET": path]))
        #expect(socket.receive() == "STOPPING=1")
    }

    @Test("an abstract socket (@name) is reached too")
    func abstractSocket() throws {
        let name = "@keep-notify-\(UInt32.random(in: 0...UInt32.max))"
        let socket = try DatagramSocket(path: name)
        #expect(try SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": name]))
        #expect(socket.receive() == "READY=1")
    }

    @Test("without NOTIFY_SOCKET nothing is sent; a vanished socket is an error that says so")
    func noSocket() throws {
        #expect(try SystemdNotifier.notify("READY=1", environment: [:]) == false)
        let missing = NSTemporaryDirectory() + "keep-notify-missing-\(UInt32.random(in: 0...UInt32.max)).sock"
        #expect(throws: KeepError.self) {
            try SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": missing])
        }
        #expect(throws: KeepError.self) {
            try SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": "relative"])
        }
    }

    @Test("a JSON log line escapes quotes, newlines and control characters and keeps nested metadata")
    func jsonLine() throws {
        let line = JSONLogHandler.line(
            time: Date(timeIntervalSince1970: 1_700_000_000.25), level: .warning, label: "keep-controller",
            message: "path \"a\\b\"\nnext\u{1}",
            metadata: ["job": "job-1", "hosts": .array(["web-01", "web-02"]), "nested": .dictionary(["k": "v"])])
        #expect(line.hasSuffix("}\n"))
        #expect(line.split(separator: "\n").count == 1)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(record["time"] as? String == "2023-11-14T22:13:20.250Z")
        #expect(record["level"] as? String == "warning")
        #expect(record["message"] as? String == "path \"a\\b\"\nnext\u{1}")
        let metadata = try #require(record["metadata"] as? [String: Any])
        #expect(metadata["job"] as? String == "job-1")
        #expect(metadata["hosts"] as? [String] == ["web-01", "web-02"])
        #expect((metadata["nested"] as? [String: String]) == ["k": "v"])
    }
}
