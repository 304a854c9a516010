import Foundation
import Glibc

/// Runs a helper tool for an inventory with a deadline, never hanging and never crashing the agent:
/// every failure (not found, cannot start, non-zero exit, timeout) is a short message for the
/// document's `unavailable` field.
///
/// Output goes to temporary files rather than pipes, so a large listing cannot fill a pipe and
/// block the tool. This call blocks its thread for at most the timeout; run it off event loops.
struct CommandRunner {
    var searchPath: String
    var timeout: Double

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The full path of an executable named `name` in the search path (or `name` itself if it
    /// contains a `/` and is executable).
    func locate(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for directory in searchPath.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            var status = stat()
            if stat(candidate, &status) == 0, status.st_mode & 0o170000 == 0o100000, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// Runs `arguments` (argv, first element looked up in the search path) and returns its stdout.
    func run(_ arguments: [String]) throws(Failure) -> String {
        guard let name = arguments.first else { throw Failure(description: "empty command") }
        guard let executable = locate(name) else { throw Failure(description: "\(name) not found") }
        let output = try TemporaryFile()
        let errors = try TemporaryFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = searchPath
        environment["LC_ALL"] = "C"
        environment["SYSTEMD_PAGER"] = ""
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output.handle
        process.standardError = errors.handle
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            throw Failure(description: "\(name) could not be started: \(error.localizedDescription)")
        }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
            let seconds = timeout == timeout.rounded() ? String(Int(timeout)) : String(timeout)
            throw Failure(description: "\(name) did not finish within \(seconds) s")
        }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let firstLine = errors.contents().split(separator: "\n").first.map(String.init) ?? ""
            let status = "\(name) failed with status \(process.terminationStatus)"
            throw Failure(description: firstLine.isEmpty ? status : "\(status): \(firstLine)")
        }
        return output.contents()
    }
}

/// An unlinked temporary file used to collect a child's output.
private final class TemporaryFile {
    let handle: FileHandle

    init() throws(CommandRunner.Failure) {
        var template = Array((NSTemporaryDirectory() + "/keep-inventory-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return Int32(-1) }
            return mkstemp(base)
        }
        guard descriptor >= 0 else { throw CommandRunner.Failure(description: "cannot create a temporary file") }
        template.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { unlink(base) }
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    func contents() -> String {
        var text = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(handle.fileDescriptor, $0.baseAddress, 65536, offset) }
            if count <= 0 { break }
            text += buffer[0..<count]
            offset += off_t(count)
        }
        return String(decoding: text, as: UTF8.self)
    }
}
