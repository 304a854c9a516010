import Foundation

/// A program started by a test, in its own process group, with stdout and stderr going to files.
///
/// Tests run in parallel inside one process, so this avoids Foundation's `Process` (no process
/// groups) and reaps only its own pid. `kill()` signals the whole group, so helpers the program
/// started (hooks) die with it.
public final class ChildProcess: @unchecked Sendable {
    /// The pid, which is also the process group id.
    public let pid: pid_t
    /// What it ran, for failure messages.
    public let commandLine: String
    public let stdoutPath: String
    public let stderrPath: String

    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments`; the environment is ours plus `environment`.
    public init(
        executable: String, arguments: [String], environment: [String: String] = [:], stdoutPath: String,
        stderrPath: String
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestSupportError("no executable at \(executable); run `swift build --build-tests` first")
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var merged = ProcessInfo.processInfo.environment
        for (name, value) in environment { merged[name] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw TestSupportError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        self.commandLine = ([executable] + arguments).joined(separator: " ")
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    /// The exit status (or 128 + signal) once the process ended and was reaped; nil while it runs.
    public var status: Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var raw: Int32 = 0
        let reaped = waitpid(pid, &raw, WNOHANG)
        guard reaped == pid else { return nil }
        let low = raw & 0x7f
        exitStatus = low == 0 ? (raw >> 8) & 0xff : 128 + low
        return exitStatus
    }

    public var isRunning: Bool { status == nil }

    /// Waits for the process to end (polling every 10 ms) and returns its status; throws after `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status { return status }
            guard ContinuousClock.now < deadline else {
                throw TestSupportError("\(commandLine) still runs after \(timeout)\n\(logTail())")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Sends `signal` to the whole process group.
    public func signal(_ signal: Int32) {
        guard isRunning else { return }
        Glibc.kill(-pid, signal)
    }

    /// Asks politely (SIGTERM), then kills the group (SIGKILL) after `grace`, and reaps the process.
    public func stop(grace: Duration = .seconds(5)) async {
        signal(SIGTERM)
        if (try? await waitForExit(timeout: grace)) == nil {
            signal(SIGKILL)
            _ = try? await waitForExit(timeout: .seconds(10))
        }
        // Helpers left in the group (a hook's child) go too.
        Glibc.kill(-pid, SIGKILL)
    }

    /// Kills the group at once (SIGKILL) and reaps the process.
    public func kill() async {
        signal(SIGKILL)
        _ = try? await waitForExit(timeout: .seconds(10))
    }

    public var standardOutput: String { Self.read(stdoutPath) }
    public var standardError: String { Self.read(stderrPath) }

    /// The last lines of stderr (the logs), for failure messages.
    public func logTail(lines: Int = 40) -> String {
        let tail = standardError.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines)
        return "--- \(stderrPath) (last \(tail.count) lines)\n" + tail.joined(separator: "\n")
    }

    static func read(_ path: String) -> String {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// A harness failure: what went wrong, with the logs that explain it.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
