import KeepCatalog
import KeepCore
import KeepCrypto
import KeepProtocol
import KeepTransport
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Serves one accepted connection: TLS, the Hello/Welcome handshake, heartbeats, then the agent's
/// frames or the operator's requests. One connection's failure never affects another.
struct PeerSession {
    let services: ControllerServices

    func serve(_ connection: PeerConnection) async {
        let tls: TLSHandshakeCompleted
        do {
            tls = try await connection.handshake.get()
        } catch {
            ControllerMetrics.sessionRefused(reason: "tls").increment()
            services.logger.warning(
                "refused a connection: \(error)", metadata: ["remote": "\(connection.remoteAddress)"])
            try? await connection.channel.channel.close()
            return
        }
        var logger = services.logger.with(metadata: ["peer": "\(tls.peer.commonName)", "remote": "\(connection.remoteAddress)"])
        if tls.peer.role == .agent { logger[metadataKey: "host"] = "\(tls.peer.name)" }
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                try await run(connection: connection, tls: tls, inbound: inbound, outbound: outbound, logger: logger)
            }
        } catch {
            logger.info("session ended: \(error)")
        }
    }

    private func run(
        connection: PeerConnection, tls: TLSHandshakeCompleted, inbound: NIOAsyncChannelInboundStream<Frame>,
        outbound: NIOAsyncChannelOutboundWriter<Frame>, logger: Logger
    ) async throws {
        let machine = NIOLockedValueBox(
            ControllerSessionStateMachine(
                peer: tls.peer, configuration: .init(controllerName: services.name),
                sessionID: "\(tls.peer.name)-\(UInt32.random(in: 0...UInt32.max))", now: .now()))
        let link = NIOLockedValueBox<AgentLink?>(nil)
        let isEstablished = NIOLockedValueBox(false)
        let perform = { @Sendable (actions: [ControllerSessionStateMachine.Action]) async -> Bool in
            for action in actions {
                switch action {
                case .send(let frame):
                    try? await outbound.write(frame)
                case .raiseFrameLimit(let length):
                    connection.raiseFrameLimit(to: length)
                case .established(let hello):
                    isEstablished.withLockedValue { $0 = true }
                    await established(hello, tls: tls, connection: connection, outbound: outbound, link: link, logger: logger)
                case .deliver(let frame):
                    await deliver(frame, tls: tls, link: link.withLockedValue { $0 }, outbound: outbound, logger: logger)
                case .close(let error):
                    if let error {
                        logger.warning("closing session: \(error)")
                        ControllerMetrics.count(error)
                        if !isEstablished.withLockedValue({ $0 }) {
                            ControllerMetrics.sessionRefused(reason: error.code.description).increment()
                        }
                    }
                    connection.channel.channel.close(promise: nil)
                    return true
                }
            }
            return false
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let actions = machine.withLockedValue { $0.tick(now: .now(), unixMillis: Clock.unixMillis()) }
                if await perform(actions) { return }
            }
        }
        defer {
            ticker.cancel()
            if let current = link.withLockedValue({ $0 }) {
                current.connectionLost()
                Task { [registry = services.registry, catalog = services.catalog] in
                    await registry.unregister(current)
                    try? await catalog.touchHost(current.hostID, at: Clock.unixSeconds())
                }
                logger.info("agent disconnected")
            }
        }
        do {
            for try await frame in inbound {
                let actions = machine.withLockedValue { $0.receive(frame, now: .now()) }
                if await perform(actions) { break }
            }
        } catch let error as ProtocolError {
            let actions = machine.withLockedValue { $0.decodingFailed(error) }
            _ = await perform(actions)
            throw error
        }
    }

    private func established(
        _ hello: HelloInfo, tls: TLSHandshakeCompleted, connection: PeerConnection,
        outbound: NIOAsyncChannelOutboundWriter<Frame>, link: NIOLockedValueBox<AgentLink?>, logger: Logger
    ) async {
        guard hello.identity.role == .agent else {
            logger.info("operator session established")
            return
        }
        let agent = AgentLink(hello: hello, remoteAddress: connection.remoteAddress, outbound: outbound)
        link.withLockedValue { $0 = agent }
        if let previous = await services.registry.register(agent) {
            previous.connectionLost()
        }
        let now = Clock.unixSeconds()
        do {
            try await services.catalog.recordHello(
                HostRecord(
                    id: agent.hostID, pool: agent.pool, certificateFingerprint: tls.certificateFingerprint, firstSeen: now,
                    lastSeen: now, softwareVersion: hello.softwareVersion, protocolVersion: hello.version,
                    capabilities: hello.capabilities, remoteAddress: connection.remoteAddress))
        } catch {
            ControllerMetrics.count(error)
            logger.error("cannot record the agent in the catalog: \(error)")
        }
        logger.info("agent connected", metadata: ["pool": "\(agent.pool)", "version": "\(hello.softwareVersion)"])
    }

    private func deliver(
        _ frame: Frame, tls: TLSHandshakeCompleted, link: AgentLink?, outbound: NIOAsyncChannelOutboundWriter<Frame>,
        logger: Logger
    ) async {
        if let link {
            if !link.deliver(frame) {
                logger.debug("dropped \(frame.messageName) that belongs to no running command")
            }
            return
        }
        guard case .control(let envelope) = frame else { return }
        let requestID = envelope.requestID
        let operatorService = services.operators
        // Each request in its own task, so a long backup does not hold up other requests of the session.
        Task {
            await operatorService.handle(envelope, from: tls.peer) { body in
                try? await outbound.write(.control(requestID: requestID, body))
            }
        }
    }
}
