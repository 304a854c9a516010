import KeepCore
import KeepProtocol
import NIOCore
import Testing

@Suite("ClientSessionStateMachine")
struct ClientSessionStateMachineTests {
    typealias Machine = ClientSessionStateMachine
    static let start = NIODeadline.uptimeNanoseconds(5_000_000_000)
    static let agentConfiguration = Machine.Configuration(
        role: .agent, hostID: "web-01", pool: "fe-01", softwareVersion: "keep-agent 0.1.0", capabilities: ["zstd"]
    )

    static func welcome(version: UInt32 = 1, maxFrame: UInt32 = 16 * 1_048_576, heartbeat: UInt32 = 15) -> Frame {
        .control(
            .welcome(
                .with {
                    $0.version = version
                    $0.controllerName = "keep.example.net"
                    $0.maxFrameLength = maxFrame
                    $0.heartbeatIntervalSeconds = heartbeat
                    $0.sessionID = "s-9"
                }
            )
        )
    }

    static func started() -> Machine {
        var machine = Machine(configuration: agentConfiguration)
        _ = machine.start(now: start)
        return machine
    }

    static func established() -> Machine {
        var machine = started()
        _ = machine.receive(welcome(), now: start)
        return machine
    }

    @Test func startSendsTheConfiguredHelloOnce() throws {
        var machine = Machine(configuration: Self.agentConfiguration)
        let actions = machine.start(now: Self.start)
        let hello = try #require(actions.sent.first?.hello)
        #expect(hello.minVersion == 1 && hello.maxVersion == 1)
        #expect(hello.role == .agent)
        #expect(hello.hostID == "web-01")
        #expect(hello.pool == "fe-01")
        #expect(hello.softwareVersion == "keep-agent 0.1.0")
        #expect(hello.capabilities == ["zstd"])
        #expect(hello.maxFrameLength == 16 * 1_048_576)
        #expect(machine.start(now: Self.start).isEmpty)
    }

    @Test func helloMatchesTheVector() throws {
        var machine = Machine(configuration: Self.agentConfiguration)
        let frame = try #require(machine.start(now: Self.start).sent.first)
        #expect(try frame.bytes == Vectors.bytes("hello"))
    }

    @Test func welcomeRaisesTheLimitAndEstablishes() throws {
        var machine = Self.started()
        let actions = machine.receive(Self.welcome(maxFrame: 8 * 1_048_576, heartbeat: 5), now: Self.start)
        try #require(actions.count == 2)
        guard case .raiseFrameLimit(let limit) = actions[0], case .established(let info) = actions[1] else {
            Issue.record("unexpected actions \(actions)")
            return
        }
        #expect(limit == 8 * 1_048_576)
        #expect(info.version == 1)
        #expect(info.controllerName == "keep.example.net")
        #expect(info.heartbeatInterval == .seconds(5))
        #expect(info.sessionID == "s-9")
        #expect(machine.established == info)
    }

    @Test func versionRefusalBecomesAClearError() throws {
        var machine = Self.started()
        let refusal = KeepError(
            .versionMismatch, "keep-agent speaks protocol versions 1…1, this controller 2…2",
            context: "agent:web-01 (pool fe-01)", hint: "upgrade keep-agent on this host"
        )
        let actions = machine.receive(.error(refusal), now: Self.start)
        #expect(actions.sent.isEmpty)
        let error = try #require(actions.closeError)
        #expect(error.code == .versionMismatch)
        #expect(
            error.reason
                == "the controller does not speak this client's protocol versions 1…1: keep-agent speaks protocol "
                + "versions 1…1, this controller 2…2"
        )
        #expect(error.hint == "upgrade keep-agent on this host")
        #expect(machine.isClosed)
    }

    @Test func identityRefusalKeepsItsCode() throws {
        var machine = Self.started()
        let actions = machine.receive(.error(KeepError(.identityMismatch, "wrong host")), now: Self.start)
        #expect(actions.closeError?.code == .identityMismatch)
        #expect(actions.closeError?.reason == "the controller refused the handshake: wrong host")
    }

    @Test(arguments: [
        welcome(version: 2), welcome(version: 0), welcome(maxFrame: 1_048_576), welcome(maxFrame: 32 * 1_048_576),
    ])
    func refusesAWelcomeOutsideWhatItOffered(frame: Frame) {
        var machine = Self.started()
        let actions = machine.receive(frame, now: Self.start)
        #expect(actions.refusal != nil)
        #expect(machine.isClosed)
    }

    @Test func anythingButWelcomeDuringTheHandshakeIsAViolation() {
        for frame in [Frame.control(.heartbeat(.init())), .control(.backupCommand(.init())), .control(.init())] {
            var machine = Self.started()
            #expect(machine.receive(frame, now: Self.start).refusal?.code == .protocolViolation)
        }
        var early = Machine(configuration: Self.agentConfiguration)
        #expect(early.receive(Self.welcome(), now: Self.start).refusal?.code == .protocolViolation)
    }

    @Test func goodbyeDuringTheHandshakeIsUnavailable() {
        var machine = Self.started()
        let actions = machine.receive(.control(.goodbye(.with { $0.reason = "draining" })), now: Self.start)
        #expect(actions.closeError?.code == .unavailable)
        #expect(actions.closeError?.reason.contains("draining") == true)
    }

    @Test func deliversControllerMessagesAndChunks() throws {
        var machine = Self.established()
        let id = try #require(ChunkID(bytes: [UInt8](repeating: 3, count: 32)))
        let frames: [Frame] = [
            .control(requestID: 4, .backupCommand(.init())), .control(requestID: 5, .haveChunksResponse(.init())),
            .control(requestID: 6, .error(.init())), .control(requestID: 7, .listAgentsResponse(.init())),
            .chunk(ChunkFrame(id: id, type: .data, compression: .none, plaintextLength: 0, payload: .init())),
        ]
        for frame in frames {
            #expect(machine.receive(frame, now: Self.start).delivered == [frame])
        }
        #expect(machine.receive(.control(.heartbeat(.init())), now: Self.start).isEmpty)
    }

    @Test func refusesClientMessagesAndASecondHandshake() {
        for frame in [Self.welcome(), .control(.hello(.init())), .control(requestID: 1, .listAgentsRequest(.init()))] {
            var machine = Self.established()
            #expect(machine.receive(frame, now: Self.start).refusal?.code == .protocolViolation)
        }
    }

    @Test func sessionErrorFromTheControllerCloses() {
        var machine = Self.established()
        let actions = machine.receive(.error(KeepError(.unavailable, "controller draining")), now: Self.start)
        #expect(actions.closeError == KeepError(.unavailable, "controller draining"))
        #expect(actions.sent.isEmpty)
    }

    @Test func heartbeatsFollowTheControllersInterval() {
        var machine = Self.started()
        _ = machine.receive(Self.welcome(heartbeat: 5), now: Self.start)
        #expect(machine.tick(now: Self.start + .seconds(4), unixMillis: 0).isEmpty)
        #expect(machine.tick(now: Self.start + .seconds(5), unixMillis: 42).sent.first?.heartbeat?.unixMillis == 42)
        let dead = machine.tick(now: Self.start + .seconds(15), unixMillis: 0)
        #expect(dead.closeError?.code == .unavailable)
        #expect(machine.isClosed)
    }

    @Test func handshakeTimesOut() {
        var machine = Self.started()
        #expect(machine.tick(now: Self.start + .seconds(9), unixMillis: 0).isEmpty)
        #expect(machine.tick(now: Self.start + .seconds(10), unixMillis: 0).closeError?.code == .unavailable)
    }

    @Test func closingSaysGoodbyeOnlyIfHelloWasSent() {
        var idle = Machine(configuration: Self.agentConfiguration)
        #expect(idle.close(reason: "stop").sent.isEmpty)
        var open = Self.established()
        #expect(open.close(reason: "stop").sent.first?.goodbye?.reason == "stop")
        #expect(open.close(reason: "stop").isEmpty)
    }

    @Test func connectionLossDuringTheHandshakeSaysSo() {
        var machine = Self.started()
        #expect(machine.connectionLost()?.reason == "the controller closed the connection during the handshake")
        #expect(machine.connectionLost() == nil)
    }
}
