import KeepCore
import KeepProtocol
import NIOConcurrencyHelpers
import NIOCore

/// The controller's handle on one connected agent: how to send it commands, and where the frames it
/// sends for the current backup go.
final class AgentLink: Sendable {
    let hostID: String
    let pool: String
    let hello: HelloInfo
    let remoteAddress: String
    private let outbound: NIOAsyncChannelOutboundWriter<Frame>
    private let route = NIOLockedValueBox<Route?>(nil)
    private let requestIDs = NIOLockedValueBox<UInt64>(1)

    /// Receives the agent's frames of one command until it ends.
    struct Route: Sendable {
        let requestID: UInt64
        let continuation: AsyncStream<Frame>.Continuation
    }

    init(hello: HelloInfo, remoteAddress: String, outbound: NIOAsyncChannelOutboundWriter<Frame>) {
        self.hostID = hello.identity.name
        self.pool = hello.identity.pool ?? ""
        self.hello = hello
        self.remoteAddress = remoteAddress
        self.outbound = outbound
    }

    func send(_ frame: Frame) async throws {
        try await outbound.write(frame)
    }

    /// Sends frames in order, handing them to the connection at once.
    func send(contentsOf frames: [Frame]) async throws {
        try await outbound.write(contentsOf: frames)
    }

    /// Sends a command and returns the stream of the agent's frames that belong to it (control frames
    /// with the command's request id, and CHUNK frames). Only one command runs per agent at a time.
    func start(_ body: Keep_V1_Envelope.OneOf_Body) async throws -> (requestID: UInt64, frames: AsyncStream<Frame>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Frame.self)
        let requestID = requestIDs.withLockedValue { id in
            defer { id += 1 }
            return id
        }
        let busy = route.withLockedValue { route in
            if route != nil { return true }
            route = Route(requestID: requestID, continuation: continuation)
            return false
        }
        guard !busy else {
            throw KeepError(
                .conflict, "host \(hostID) is already running a job", hint: "wait for it to finish, then try again")
        }
        do {
            try await outbound.write(.control(requestID: requestID, body))
        } catch {
            finishCommand()
            throw KeepError(.unavailable, "cannot reach host \(hostID): \(error)", hint: "check keep-agent on \(hostID)")
        }
        return (requestID, stream)
    }

    /// Ends the current command's stream.
    func finishCommand() {
        route.withLockedValue { route in
            route?.continuation.finish()
            route = nil
        }
    }

    /// Hands a frame from the agent to the command it belongs to. Returns false for a frame no
    /// command waits for.
    func deliver(_ frame: Frame) -> Bool {
        route.withLockedValue { route in
            guard let route else { return false }
            if case .control(let envelope) = frame, envelope.requestID != route.requestID { return false }
            route.continuation.yield(frame)
            return true
        }
    }

    /// The connection is gone: the current command's stream ends, and its owner sees it unfinished.
    func connectionLost() {
        finishCommand()
    }
}
