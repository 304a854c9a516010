import KeepCore
import KeepProtocol
import KeepTransport

/// The agent's end of one command from the controller: everything it sends carries the command's
/// request id, and the controller's answers to it (and the CHUNK frames it serves) arrive in order.
actor CommandChannel {
    let session: ClientSession
    let requestID: UInt64
    private var frames: AsyncStream<Frame>.AsyncIterator

    init(session: ClientSession, requestID: UInt64, frames: AsyncStream<Frame>) {
        self.session = session
        self.requestID = requestID
        self.frames = frames.makeAsyncIterator()
    }

    /// Sends a control message of this command.
    func send(_ body: Keep_V1_Envelope.OneOf_Body) async throws {
        try await session.send(.control(requestID: requestID, body))
    }

    /// The controller's next frame for this command. An Error from the controller ends the command.
    func next() async throws -> Frame {
        var iterator = frames
        let next = await iterator.next(isolation: self)
        frames = iterator
        guard let frame = next else {
            throw KeepError(.unavailable, "the connection to the controller was lost during the command")
        }
        if case .control(let envelope) = frame, case .error(let error) = envelope.body { throw KeepError(error) }
        return frame
    }

    /// Waits for the controller's next control message and extracts what `match` expects from it.
    func nextAnswer<T>(_ match: (Keep_V1_Envelope.OneOf_Body) -> T?) async throws -> T {
        let frame = try await next()
        guard case .control(let envelope) = frame, let body = envelope.body, let value = match(body) else {
            throw KeepError(.protocolViolation, "unexpected \(frame.messageName) from the controller")
        }
        return value
    }
}
