import Foundation
import KeepCore

/// Runs a configured hook command (argv, no shell) with a timeout. A non-zero exit or a timeout is
/// an error that carries the command's output, so the operator sees why the host failed.
enum HookRunner {
    static func run(_ hook: AgentConfiguration.Hook, name: String) async throws {
        guard let executable = hook.command.first else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(hook.command.dropFirst())
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw KeepError(.configuration, "\(name) hook cannot start: \(error)", context: executable, hint: "check the hook's path in agent.yaml")
        }
        let reader = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }
        let timedOut = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().async {
                        process.waitUntilExit()
                        continuation.resume()
                    }
                }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(hook.timeout))
                return !Task.isCancelled
            }
            let first = await group.next() ?? false
            if first { process.terminate() }
            group.cancelAll()
            await group.waitForAll()
            return first
        }
        let text = String(decoding: await reader.value, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let tail = String(text.suffix(2000))
        if timedOut {
            throw KeepError(.jobFailed, "\(name) hook timed out after \(Int(hook.timeout)) s", context: hook.command.joined(separator: " "), hint: tail.isEmpty ? nil : "output: \(tail)")
        }
        guard process.terminationStatus == 0 else {
            throw KeepError(
                .jobFailed, "\(name) hook failed with exit status \(process.terminationStatus)" + (tail.isEmpty ? "" : ": \(tail)"),
                context: hook.command.joined(separator: " "), hint: "fix the hook or the service it prepares, then back up again")
        }
    }
}
