import KeepCore
import KeepProtocol
import NIOCore
import Testing

/// Both state machines talking through the real codec, as an agent and the controller would.
@Suite("Session handshake end to end")
struct SessionHandshakeTests {
    static let now = NIODeadline.uptimeNanoseconds(1)

    /// Carries frames from one side to the other as bytes, enforcing the receiver's limits.
    static func transmit(_ frames: [Frame], limits: FrameLimits) throws -> [Frame] {
        try decodeStream(frames.flatMap { try $0.bytes }, limits: limits)
    }

    @Test func agentAndControllerAgreeAndThenExchangeAFullSizeChunk() throws {
        let clientLimits = FrameLimits()
        let serverLimits = FrameLimits()
        var client = ClientSessionStateMachine(
            configuration: .init(role: .agent, hostID: "db-1", pool: "be-01", softwareVersion: "keep-agent 0.1.0")
        )
        var server = ControllerSessionStateMachine(
            peer: PeerIdentity(role: .agent, name: "db-1", pool: "be-01"),
            configuration: .init(controllerName: "keep", maximumFrameLength: 8 * 1_048_576), sessionID: "s",
            now: Self.now
        )
        var toServer = try Self.transmit(client.start(now: Self.now).sent, limits: serverLimits)
        var serverActions: [ControllerSessionStateMachine.Action] = []
        for frame in toServer { serverActions += server.receive(frame, now: Self.now) }
        for case .raiseFrameLimit(let limit) in serverActions { serverLimits.maximumFrameLength = limit }
        let toClient = try Self.transmit(serverActions.sent, limits: clientLimits)
        var clientActions: [ClientSessionStateMachine.Action] = []
        for frame in toClient { clientActions += client.receive(frame, now: Self.now) }
        for case .raiseFrameLimit(let limit) in clientActions { clientLimits.maximumFrameLength = limit }

        #expect(server.established?.maximumFrameLength == 8 * 1_048_576)
        #expect(client.established?.maximumFrameLength == 8 * 1_048_576)
        #expect(serverLimits.maximumFrameLength == 8 * 1_048_576)
        #expect(clientLimits.maximumFrameLength == 8 * 1_048_576)

        let id = try #require(ChunkID(bytes: [UInt8](repeating: 1, count: 32)))
        let chunk = Frame.chunk(
            ChunkFrame(
                id: id, type: .data, compression: .none, plaintextLength: UInt32(ProtocolLimits.maximumObjectLength),
                payload: ByteBuffer(repeating: 0x5a, count: ProtocolLimits.maximumObjectLength)
            )
        )
        toServer = try Self.transmit([chunk], limits: serverLimits)
        #expect(server.receive(toServer[0], now: Self.now).delivered == [chunk])
    }

    @Test func versionMismatchReachesTheAgentAsAClearError() throws {
        var client = ClientSessionStateMachine(
            configuration: .init(role: .agent, hostID: "db-1", pool: "be-01", softwareVersion: "keep-agent 9")
        )
        var server = ControllerSessionStateMachine(
            peer: PeerIdentity(role: .agent, name: "db-1", pool: "be-01"),
            configuration: .init(controllerName: "keep", supportedVersions: 2...2), sessionID: "s", now: Self.now
        )
        let hello = try Self.transmit(client.start(now: Self.now).sent, limits: FrameLimits())
        let refusal = try Self.transmit(server.receive(hello[0], now: Self.now).sent, limits: FrameLimits())
        let outcome = client.receive(refusal[0], now: Self.now)
        #expect(outcome.closeError?.code == .versionMismatch)
        #expect(outcome.closeError?.hint == "upgrade keep-agent on this host")
        #expect(client.isClosed && server.isClosed)
    }
}
