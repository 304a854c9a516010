import KeepCore
import KeepProtocol
import KeepTransport
import Logging
import NIOConcurrencyHelpers

/// Runs the controller's commands on one session, one at a time, and routes the controller's
/// answers (and the CHUNK frames it serves) to the command they belong to.
struct CommandLoop {
    let configuration: AgentConfiguration
    let session: ClientSession
    let logger: Logger

    private typealias Route = (requestID: UInt64, continuation: AsyncStream<Frame>.Continuation)

    /// Returns when the session ends, with why.
    func run() async -> KeepError? {
        let current = NIOLockedValueBox<Route?>(nil)
        var running: Task<Void, Never>?
        for await frame in session.incoming {
            if let route = current.withLockedValue({ $0 }) {
                switch frame {
                case .chunk:
                    route.continuation.yield(frame)
                    continue
                case .control(let envelope) where envelope.requestID == route.requestID:
                    route.continuation.yield(frame)
                    continue
                default:
                    break
                }
            }
            guard case .control(let envelope) = frame, let body = envelope.body else {
                logger.warning("ignored an unexpected \(frame.messageName) from the controller")
                continue
            }
            guard body.isCommand else {
                logger.warning("ignored \(frame.messageName) from the controller")
                continue
            }
            if let previous = current.withLockedValue({ $0 }) {
                // The controller sends a command only after the previous one ended on its side, so the
                // previous task has sent its last message and is finishing: let it.
                previous.continuation.finish()
                await running?.value
            }
            let (frames, continuation) = AsyncStream.makeStream(of: Frame.self)
            current.withLockedValue { $0 = (envelope.requestID, continuation) }
            let channel = CommandChannel(session: session, requestID: envelope.requestID, frames: frames)
            running = Task { [configuration, logger] in
                await Self.execute(body, channel: channel, configuration: configuration, logger: logger)
                current.withLockedValue { route in
                    route?.continuation.finish()
                    route = nil
                }
            }
        }
        current.withLockedValue { $0?.continuation.finish() }
        running?.cancel()
        await running?.value
        return await session.waitUntilClosed()
    }

    private static func execute(
        _ body: Keep_V1_Envelope.OneOf_Body, channel: CommandChannel, configuration: AgentConfiguration, logger: Logger
    ) async {
        // Every line a command logs, down to the archiver's, names its job and this host.
        var logger = logger
        logger[metadataKey: "host"] = "\(configuration.hostID)"
        switch body {
        case .backupCommand(let command): logger[metadataKey: "job"] = "\(command.jobID)"
        case .restoreCommand(let command): logger[metadataKey: "job"] = "\(command.jobID)"
        case .rollbackCommand(let command): logger[metadataKey: "job"] = "\(command.jobID)"
        default: break
        }
        switch body {
        case .backupCommand(let command):
            await BackupRun(configuration: configuration, channel: channel, command: command, logger: logger).run()
        case .restoreCommand(let command):
            await RestoreRun(configuration: configuration, channel: channel, command: command, logger: logger).run()
        case .rollbackCommand(let command):
            await RollbackRun(configuration: configuration, channel: channel, command: command, logger: logger).run()
        default:
            break
        }
        // The agent idles between jobs on every server: what the job freed goes back to the system.
        MemoryTuning.releaseFreeMemory()
    }
}

extension Keep_V1_Envelope.OneOf_Body {
    /// Messages that start a command on the agent.
    var isCommand: Bool {
        switch self {
        case .backupCommand, .restoreCommand, .rollbackCommand: true
        default: false
        }
    }
}
