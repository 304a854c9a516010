import KeepCore
import KeepProtocol
import KeepTransport
import Logging
import NIOConcurrencyHelpers

/// Runs the controller's commands on one session, one at a time, and routes the controller's
/// answers (HaveChunksResponse, BackupCommitted, Error) to the command they belong to.
struct CommandLoop {
    let configuration: AgentConfiguration
    let session: ClientSession
    let logger: Logger

    /// Returns when the session ends, with why.
    func run() async -> KeepError? {
        let current = NIOLockedValueBox<(requestID: UInt64, continuation: AsyncStream<Keep_V1_Envelope>.Continuation)?>(nil)
        var running: Task<Void, Never>?
        for await frame in session.incoming {
            guard case .control(let envelope) = frame else {
                logger.warning("ignored an unexpected CHUNK frame from the controller")
                continue
            }
            if let route = current.withLockedValue({ $0 }), route.requestID == envelope.requestID {
                route.continuation.yield(envelope)
                continue
            }
            switch envelope.body {
            case .backupCommand(let command):
                guard current.withLockedValue({ $0 }) == nil else {
                    try? await session.send(
                        .control(
                            requestID: envelope.requestID,
                            .backupFailed(
                                .with {
                                    $0.jobID = command.jobID
                                    $0.snapshotID = command.snapshotID
                                    $0.error = Keep_V1_Error(KeepError(.conflict, "a backup is already running on \(configuration.hostID)"))
                                })))
                    continue
                }
                let (answers, continuation) = AsyncStream.makeStream(of: Keep_V1_Envelope.self)
                current.withLockedValue { $0 = (envelope.requestID, continuation) }
                let requestID = envelope.requestID
                running = Task {
                    let backup = BackupRun(
                        configuration: configuration, session: session, command: command, requestID: requestID,
                        answers: answers, logger: logger)
                    await backup.run()
                    current.withLockedValue { $0 = nil }
                }
            default:
                logger.warning("ignored \(frame.messageName) from the controller")
            }
        }
        current.withLockedValue { $0?.continuation.finish() }
        running?.cancel()
        await running?.value
        return await session.waitUntilClosed()
    }
}
