import KeepCore
import KeepCrypto
import KeepProtocol
import NIOConcurrencyHelpers
import NIOCore

/// A client's established session with the controller (keep-agent and keepctl).
///
/// `open` connects, completes TLS and the Hello/Welcome handshake. Afterwards requests are matched to
/// their responses by `request_id`; frames that answer no request of ours (commands from the
/// controller, CHUNK frames) arrive on `incoming`. Heartbeats are sent and checked in the background.
public final class ClientSession: Sendable {
    public let welcome: WelcomeInfo
    /// The controller, as its certificate names it.
    public let controller: TLSHandshakeCompleted
    /// Frames that are not responses to our requests, in order.
    public let incoming: AsyncStream<Frame>

    private let connection: PeerConnection
    private let outbound: NIOAsyncChannelOutboundWriter<Frame>
    private let state: NIOLockedValueBox<State>
    private let closed: EventLoopPromise<KeepError?>

    private struct State {
        var machine: ClientSessionStateMachine
        var nextRequestID: UInt64 = 1
        var pending: [UInt64: AsyncThrowingStream<Keep_V1_Envelope, any Error>.Continuation] = [:]
        var failure: KeepError?
    }

    /// Connects to `host:port`, verifies the controller and says Hello.
    ///
    /// Errors say why the connection failed: refused, unknown CA, expired or revoked certificate,
    /// version mismatch.
    public static func open(
        host: String, port: Int, tls: TLSContext, configuration: ClientSessionStateMachine.Configuration
    ) async throws -> ClientSession {
        let connection: PeerConnection
        do {
            connection = try await Dialer.connect(host: host, port: port, tls: tls)
        } catch {
            throw KeepError(
                .unavailable, "cannot connect to the controller at \(host):\(port): \(error)",
                hint: "check that keep-controller runs and listens there, and that no firewall blocks the port")
        }
        do {
            let peer = try await connection.handshake.get()
            return try await withCheckedThrowingContinuation { continuation in
                let started = NIOLockedValueBox(false)
                Task {
                    await ClientSession.run(
                        connection: connection, peer: peer, configuration: configuration,
                        onEstablished: { result in
                            guard started.withLockedValue({ let was = $0; $0 = true; return !was }) else { return }
                            continuation.resume(with: result)
                        })
                }
            }
        } catch {
            connection.channel.channel.close(promise: nil)
            throw error
        }
    }

    private init(
        connection: PeerConnection, outbound: NIOAsyncChannelOutboundWriter<Frame>, peer: TLSHandshakeCompleted,
        welcome: WelcomeInfo, machine: ClientSessionStateMachine, incoming: AsyncStream<Frame>
    ) {
        self.connection = connection
        self.outbound = outbound
        self.controller = peer
        self.welcome = welcome
        self.state = NIOLockedValueBox(State(machine: machine))
        self.incoming = incoming
        self.closed = connection.channel.channel.eventLoop.makePromise()
    }

    /// Owns the channel for the whole session: handshake, then the read loop and the heartbeat ticker.
    private static func run(
        connection: PeerConnection, peer: TLSHandshakeCompleted, configuration: ClientSessionStateMachine.Configuration,
        onEstablished: @escaping @Sendable (Result<ClientSession, any Error>) -> Void
    ) async {
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                var machine = ClientSessionStateMachine(configuration: configuration)
                var iterator = inbound.makeAsyncIterator()
                let welcome = try await handshake(
                    machine: &machine, connection: connection, outbound: outbound, iterator: &iterator)
                let (incoming, incomingContinuation) = AsyncStream.makeStream(of: Frame.self)
                let session = ClientSession(
                    connection: connection, outbound: outbound, peer: peer, welcome: welcome, machine: machine,
                    incoming: incoming)
                onEstablished(.success(session))
                await session.serve(iterator: &iterator, incoming: incomingContinuation)
            }
        } catch {
            onEstablished(.failure(error))
        }
    }

    private static func handshake(
        machine: inout ClientSessionStateMachine, connection: PeerConnection,
        outbound: NIOAsyncChannelOutboundWriter<Frame>, iterator: inout NIOAsyncChannelInboundStream<Frame>.AsyncIterator
    ) async throws -> WelcomeInfo {
        for action in machine.start(now: .now()) {
            if case .send(let frame) = action { try await outbound.write(frame) }
        }
        while let frame = try await iterator.next() {
            for action in machine.receive(frame, now: .now()) {
                switch action {
                case .send(let reply): try await outbound.write(reply)
                case .raiseFrameLimit(let length): connection.raiseFrameLimit(to: length)
                case .established(let welcome): return welcome
                case .deliver: break
                case .close(let error):
                    throw error ?? KeepError(.unavailable, "the controller ended the session during the handshake")
                }
            }
        }
        throw KeepError(
            .unavailable, "the controller closed the connection during the handshake",
            hint: "the controller's log says why (e.g. a revoked or unknown certificate)")
    }

    private func serve(
        iterator: inout NIOAsyncChannelInboundStream<Frame>.AsyncIterator, incoming: AsyncStream<Frame>.Continuation
    ) async {
        let ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard let self else { return }
                let actions = self.state.withLockedValue {
                    $0.machine.tick(now: .now(), unixMillis: Clock.unixMillis())
                }
                await self.perform(actions, incoming: nil)
            }
        }
        defer { ticker.cancel() }
        var failure: KeepError?
        do {
            while let frame = try await iterator.next() {
                let actions = state.withLockedValue { $0.machine.receive(frame, now: .now()) }
                if await perform(actions, incoming: incoming) { break }
            }
        } catch {
            failure = KeepError(.unavailable, "connection to the controller lost: \(error)")
        }
        let lost = failure ?? state.withLockedValue { $0.failure } ?? KeepError(.unavailable, "the controller closed the session")
        let pending = state.withLockedValue { state in
            state.failure = state.failure ?? lost
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        for continuation in pending { continuation.finish(throwing: lost) }
        incoming.finish()
        closed.succeed(failure)
    }

    /// Performs the machine's actions; returns true when the session must end.
    @discardableResult
    private func perform(_ actions: [ClientSessionStateMachine.Action], incoming: AsyncStream<Frame>.Continuation?) async -> Bool {
        for action in actions {
            switch action {
            case .send(let frame):
                try? await outbound.write(frame)
            case .raiseFrameLimit(let length):
                connection.raiseFrameLimit(to: length)
            case .established:
                break
            case .deliver(let frame):
                if !route(frame) { incoming?.yield(frame) }
            case .close(let error):
                state.withLockedValue { $0.failure = $0.failure ?? error }
                connection.channel.channel.close(promise: nil)
                return true
            }
        }
        return false
    }

    /// Hands a response to the request waiting for it. Returns false when no request waits.
    private func route(_ frame: Frame) -> Bool {
        guard case .control(let envelope) = frame, envelope.requestID != 0 else { return false }
        guard let continuation = state.withLockedValue({ $0.pending[envelope.requestID] }) else { return false }
        continuation.yield(envelope)
        return true
    }

    // MARK: Requests

    /// Sends a request and returns every response until `isLast` says the stream is done
    /// (an `Error` response ends it by throwing).
    public func stream(
        _ body: Keep_V1_Envelope.OneOf_Body, isLast: @escaping @Sendable (Keep_V1_Envelope) -> Bool
    ) -> AsyncThrowingStream<Keep_V1_Envelope, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Keep_V1_Envelope.self)
        let forwarding = AsyncThrowingStream<Keep_V1_Envelope, any Error>.makeStream(of: Keep_V1_Envelope.self)
        let requestID: UInt64? = state.withLockedValue { state in
            if state.failure != nil { return nil }
            let id = state.nextRequestID
            state.nextRequestID += 1
            state.pending[id] = forwarding.continuation
            return id
        }
        guard let requestID else {
            continuation.finish(throwing: state.withLockedValue { $0.failure } ?? KeepError(.unavailable, "session closed"))
            return stream
        }
        Task {
            do {
                try await outbound.write(.control(requestID: requestID, body))
                for try await envelope in forwarding.stream {
                    if case .error(let error) = envelope.body {
                        throw KeepError(error)
                    }
                    continuation.yield(envelope)
                    if isLast(envelope) { break }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
            _ = state.withLockedValue { $0.pending.removeValue(forKey: requestID) }
        }
        return stream
    }

    /// Sends a request and returns its single response.
    public func request(_ body: Keep_V1_Envelope.OneOf_Body) async throws -> Keep_V1_Envelope {
        for try await response in stream(body, isLast: { _ in true }) {
            return response
        }
        throw KeepError(.unavailable, "the controller closed the session before answering")
    }

    /// Sends a frame that expects no response (progress, CHUNK frames, answers to the controller's commands).
    public func send(_ frame: Frame) async throws {
        if let failure = state.withLockedValue({ $0.failure }) { throw failure }
        try await outbound.write(frame)
    }

    /// Says Goodbye and closes the connection.
    public func close() async {
        try? await outbound.write(.control(.goodbye(.with { $0.reason = "client closing" })))
        try? await connection.channel.channel.close()
    }

    /// Waits until the session ends; returns why, or nil for an orderly close.
    public func waitUntilClosed() async -> KeepError? {
        (try? await closed.futureResult.get()) ?? nil
    }
}
