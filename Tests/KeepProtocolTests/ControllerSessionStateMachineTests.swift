import KeepCore
import KeepProtocol
import NIOCore
import Testing

@Suite("ControllerSessionStateMachine")
struct ControllerSessionStateMachineTests {
    typealias Machine = ControllerSessionStateMachine
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let agent = PeerIdentity(role: .agent, name: "web-01", pool: "fe-01")
    static let alice = PeerIdentity(role: .operator, name: "alice")

    static func machine(_ peer: PeerIdentity = agent, versions: ClosedRange<UInt32> = 1...1) -> Machine {
        Machine(
            peer: peer, configuration: .init(controllerName: "keep.example.net", supportedVersions: versions),
            sessionID: "s-1", now: start
        )
    }

    static func hello(
        role: Keep_V1_Role = .agent, host: String = "web-01", pool: String = "fe-01",
        versions: ClosedRange<UInt32> = 1...1,
        maxFrame: UInt32 = 16 * 1_048_576
    ) -> Frame {
        .control(
            .hello(
                .with {
                    $0.minVersion = versions.lowerBound
                    $0.maxVersion = versions.upperBound
                    $0.role = role
                    $0.hostID = host
                    $0.pool = pool
                    $0.softwareVersion = "keep-agent 0.1.0"
                    $0.capabilities = ["zstd"]
                    $0.maxFrameLength = maxFrame
                }
            )
        )
    }

    static func established(_ peer: PeerIdentity = agent) -> Machine {
        var machine = machine(peer)
        let role: Keep_V1_Role = peer.role == .agent ? .agent : .operator
        _ = machine.receive(hello(role: role, host: peer.name, pool: peer.pool ?? ""), now: start)
        return machine
    }

    @Test func acceptsAnAgentWhoseHelloMatchesItsCertificate() throws {
        var machine = Self.machine()
        let actions = machine.receive(Self.hello(), now: Self.start)
        try #require(actions.count == 3)
        guard case .raiseFrameLimit(let limit) = actions[0], case .send(let frame) = actions[1],
            case .established(let info) = actions[2]
        else {
            Issue.record("unexpected actions \(actions)")
            return
        }
        #expect(limit == 16 * 1_048_576)
        let welcome = try #require(frame.welcome)
        #expect(welcome.version == 1)
        #expect(welcome.controllerName == "keep.example.net")
        #expect(welcome.maxFrameLength == 16 * 1_048_576)
        #expect(welcome.heartbeatIntervalSeconds == 15)
        #expect(welcome.sessionID == "s-1")
        #expect(info.identity == Self.agent)
        #expect(info.capabilities == ["zstd"])
        #expect(info.softwareVersion == "keep-agent 0.1.0")
        #expect(machine.established == info)
    }

    @Test(
        arguments: [
            (UInt32(0), 16 * 1_048_576), (UInt32(8 * 1_048_576), 8 * 1_048_576),
            (UInt32(64 * 1_048_576), 16 * 1_048_576),
            (UInt32(ProtocolLimits.minimumNegotiatedFrameLength), ProtocolLimits.minimumNegotiatedFrameLength),
        ] as [(UInt32, Int)])
    func negotiatesTheSmallerFrameMaximum(proposed: UInt32, negotiated: Int) {
        var machine = Self.machine()
        let actions = machine.receive(Self.hello(maxFrame: proposed), now: Self.start)
        guard case .raiseFrameLimit(let limit) = actions.first else {
            Issue.record("expected a frame limit, got \(actions)")
            return
        }
        #expect(limit == negotiated)
    }

    @Test func refusesAFrameMaximumTooSmallForAnObject() {
        var machine = Self.machine()
        let actions = machine.receive(Self.hello(maxFrame: 1_048_576), now: Self.start)
        #expect(actions.refusal?.code == .protocolViolation)
        #expect(machine.isClosed)
    }

    @Test(
        arguments: [(1...1, 1...1, 1), (0...5, 1...1, 1), (2...5, 1...3, 3), (1...2, 2...4, 2)]
            as [(ClosedRange<UInt32>, ClosedRange<UInt32>, UInt32)])
    func picksTheHighestCommonVersion(offered: ClosedRange<UInt32>, supported: ClosedRange<UInt32>, chosen: UInt32) {
        var machine = Self.machine(versions: supported)
        let actions = machine.receive(Self.hello(versions: offered), now: Self.start)
        #expect(actions.sent.first?.welcome?.version == chosen)
    }

    @Test func refusesANewerAgentWithAVersionMismatchAndAHint() throws {
        var machine = Self.machine()
        let actions = machine.receive(Self.hello(versions: 2...3), now: Self.start)
        let sent = try #require(actions.sent.first?.error)
        #expect(sent.code == KeepError.Code.versionMismatch.rawValue)
        #expect(sent.reason == "keep-agent speaks protocol versions 2…3, this controller 1…1")
        #expect(sent.hint == "upgrade keep-controller")
        #expect(actions.refusal?.code == .versionMismatch)
        #expect(machine.isClosed)
    }

    @Test func refusesAnOlderAgentTellingItToUpgrade() throws {
        var machine = Self.machine(versions: 3...4)
        let actions = machine.receive(Self.hello(versions: 1...2), now: Self.start)
        #expect(actions.refusal?.hint == "upgrade keep-agent on this host")
    }

    @Test func refusesAnEmptyVersionRange() {
        var machine = Self.machine()
        #expect(
            machine.receive(Self.hello(versions: 1...1).withVersions(min: 2, max: 1), now: Self.start).refusal?.code
                == .protocolViolation)
    }

    @Test(arguments: [("web-02", "fe-01"), ("web-01", "be-01"), ("", ""), ("WEB-01", "fe-01")])
    func refusesAnAgentClaimingAnotherIdentity(host: String, pool: String) {
        var machine = Self.machine()
        let actions = machine.receive(Self.hello(host: host, pool: pool), now: Self.start)
        #expect(actions.sent.first?.error?.code == KeepError.Code.identityMismatch.rawValue)
        #expect(actions.refusal?.code == .identityMismatch)
        #expect(actions.refusal?.reason.contains("web-01") == true)
        #expect(machine.isClosed)
    }

    @Test(arguments: [Keep_V1_Role.operator, .unspecified, .UNRECOGNIZED(9)])
    func refusesAnAgentClaimingAnotherRole(role: Keep_V1_Role) {
        var machine = Self.machine()
        #expect(machine.receive(Self.hello(role: role), now: Self.start).refusal?.code == .identityMismatch)
    }

    @Test func refusesAnOperatorClaimingToBeAnAgent() {
        var machine = Self.machine(Self.alice)
        #expect(machine.receive(Self.hello(role: .agent), now: Self.start).refusal?.code == .identityMismatch)
    }

    @Test func acceptsAnOperatorWhateverItsHostField() {
        var machine = Self.machine(Self.alice)
        let actions = machine.receive(Self.hello(role: .operator, host: "laptop", pool: ""), now: Self.start)
        #expect(actions.refusal == nil)
        #expect(machine.established?.identity == Self.alice)
    }

    @Test func refusesAControllerCertificateAsAClient() {
        var machine = Self.machine(PeerIdentity(role: .controller, name: "other"))
        #expect(machine.receive(Self.hello(role: .operator), now: Self.start).refusal?.code == .permissionDenied)
    }

    @Test func anyOtherFrameBeforeHelloIsAViolation() throws {
        let id = try #require(ChunkID(bytes: [UInt8](repeating: 0, count: 32)))
        let early: [Frame] = [
            .control(.heartbeat(.init())), .control(.listAgentsRequest(.init())), .control(.welcome(.init())),
            .control(Keep_V1_Envelope()),
            .chunk(ChunkFrame(id: id, type: .data, compression: .none, plaintextLength: 0, payload: ByteBuffer())),
        ]
        for frame in early {
            var machine = Self.machine()
            let actions = machine.receive(frame, now: Self.start)
            #expect(actions.refusal?.code == .protocolViolation, "\(frame.messageName)")
            #expect(actions.sent.first?.error?.code == KeepError.Code.protocolViolation.rawValue)
            #expect(machine.isClosed)
        }
    }

    @Test func deliversWhatEachRoleMaySend() throws {
        let id = try #require(ChunkID(bytes: [UInt8](repeating: 0, count: 32)))
        let chunk = Frame.chunk(
            ChunkFrame(id: id, type: .tree, compression: .none, plaintextLength: 0, payload: ByteBuffer())
        )
        let agentFrames: [Frame] = [
            .control(requestID: 3, .haveChunksRequest(.init())), chunk,
            .control(requestID: 3, .backupComplete(.init())),
            .control(requestID: 3, .error(.init())),
        ]
        var agent = Self.established()
        for frame in agentFrames {
            #expect(agent.receive(frame, now: Self.start).delivered == [frame])
        }
        var alice = Self.established(Self.alice)
        for frame in [
            Frame.control(requestID: 1, .listAgentsRequest(.init())), .control(requestID: 2, .verifyRequest(.init())),
        ] {
            #expect(alice.receive(frame, now: Self.start).delivered == [frame])
        }
    }

    @Test func refusesMessagesOutsideThePeersRole() throws {
        let id = try #require(ChunkID(bytes: [UInt8](repeating: 0, count: 32)))
        var agent = Self.established()
        let actions = agent.receive(.control(requestID: 1, .startBackupRequest(.init())), now: Self.start)
        #expect(actions.refusal?.code == .permissionDenied)
        #expect(agent.isClosed)
        var alice = Self.established(Self.alice)
        let chunk = Frame.chunk(
            ChunkFrame(id: id, type: .data, compression: .none, plaintextLength: 0, payload: ByteBuffer())
        )
        #expect(alice.receive(chunk, now: Self.start).refusal?.code == .permissionDenied)
        var other = Self.established(Self.alice)
        #expect(other.receive(.control(.welcome(.init())), now: Self.start).refusal?.code == .permissionDenied)
    }

    @Test func secondHelloIsAViolation() {
        var machine = Self.established()
        #expect(machine.receive(Self.hello(), now: Self.start).refusal?.code == .protocolViolation)
    }

    @Test func unknownRequestIsAnsweredWithoutClosing() {
        var machine = Self.established()
        var envelope = Keep_V1_Envelope()
        envelope.requestID = 77
        let actions = machine.receive(.control(envelope), now: Self.start)
        guard case .send(.control(let reply)) = actions.first else {
            Issue.record("expected a reply, got \(actions)")
            return
        }
        #expect(reply.requestID == 77)
        #expect(reply.error.code == KeepError.Code.protocolViolation.rawValue)
        #expect(!machine.isClosed)
        #expect(machine.receive(.control(Keep_V1_Envelope()), now: Self.start).isEmpty)
    }

    @Test func goodbyeAndSessionErrorsEndTheSession() {
        var polite = Self.established()
        let bye = polite.receive(.control(.goodbye(.with { $0.reason = "restart" })), now: Self.start)
        guard case .close(nil) = bye.last else {
            Issue.record("expected an orderly close, got \(bye)")
            return
        }
        #expect(polite.isClosed)
        #expect(polite.receive(.control(.heartbeat(.init())), now: Self.start).isEmpty)

        var failing = Self.established()
        let error = Keep_V1_Error(KeepError(.diskFull, "spool full", hint: "free space"))
        let actions = failing.receive(.control(.error(error)), now: Self.start)
        #expect(actions.sent.isEmpty)
        #expect(actions.closeError == KeepError(.diskFull, "spool full", hint: "free space"))
    }

    @Test func handshakeMustCompleteInTime() {
        var machine = Self.machine()
        #expect(machine.tick(now: Self.start + .seconds(9), unixMillis: 0).isEmpty)
        let actions = machine.tick(now: Self.start + .seconds(10), unixMillis: 0)
        #expect(actions.refusal?.code == .protocolViolation)
        #expect(machine.isClosed)
    }

    @Test func sendsHeartbeatsAndDetectsSilence() {
        var machine = Self.established()
        #expect(machine.tick(now: Self.start + .seconds(14), unixMillis: 0).isEmpty)
        let beat = machine.tick(now: Self.start + .seconds(15), unixMillis: 1234)
        #expect(beat.sent.first?.heartbeat?.unixMillis == 1234)
        #expect(machine.tick(now: Self.start + .seconds(16), unixMillis: 0).isEmpty)
        // Anything received resets the idle clock.
        _ = machine.receive(.control(.heartbeat(.init())), now: Self.start + .seconds(40))
        #expect(machine.tick(now: Self.start + .seconds(84), unixMillis: 0).closeError == nil)
        let dead = machine.tick(now: Self.start + .seconds(85), unixMillis: 0)
        #expect(dead.closeError?.code == .unavailable)
        #expect(dead.sent.isEmpty)
        #expect(machine.isClosed)
    }

    @Test func decodingFailureIsReportedToThePeer() {
        var machine = Self.established()
        let actions = machine.decodingFailed(.unknownFrameKind(9))
        #expect(actions.sent.first?.error?.reason == "unknown frame kind 0x9")
        #expect(actions.refusal?.code == .protocolViolation)
        #expect(machine.decodingFailed(.emptyFrame).isEmpty)
    }

    @Test func localCloseSaysGoodbyeOnce() {
        var machine = Self.established()
        let actions = machine.close(reason: "shutting down")
        #expect(actions.sent.first?.goodbye?.reason == "shutting down")
        #expect(machine.close(reason: "again").isEmpty)
        #expect(machine.connectionLost() == nil)
    }

    @Test func lostConnectionIsReportedOnce() {
        var machine = Self.established()
        #expect(machine.connectionLost()?.code == .unavailable)
        #expect(machine.connectionLost() == nil)
    }
}
