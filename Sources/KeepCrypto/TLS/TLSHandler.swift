import COpenSSL
import KeepCore
import NIOCore

/// The TLS layer of every Keep connection: add it first in the pipeline. Plaintext `ByteBuffer`s above,
/// ciphertext below; OpenSSL runs through memory BIOs on the channel's event loop.
///
/// No application data passes in either direction until the handshake completed and the peer certificate was
/// verified and mapped to a ``PeerIdentity`` with an accepted role; then ``TLSHandshakeCompleted`` is fired.
/// Failures are fired as ``TLSError`` through `fireErrorCaught`, after which the alert OpenSSL produced is sent
/// and the channel closed.
public final class TLSHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum State {
        case idle
        case handshaking
        case established
        /// Our close_notify is queued or sent; the channel is about to close.
        case closing
        case closed
    }

    private let tlsContext: TLSContext
    private let handshakeTimeout: TimeAmount
    private var connection: TLSConnection?
    private var setupError: TLSError?
    private var state: State = .idle
    private var timeout: Scheduled<Void>?
    /// The first byte the peer sent, to tell "not TLS at all" from a TLS failure.
    private var firstByte: UInt8?
    /// Plaintext written before the handshake completed.
    private var bufferedWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var flushRequested = false
    /// Promises of plaintext already encrypted into the write BIO, completed when its ciphertext is written.
    private var encryptedPromises: [EventLoopPromise<Void>] = []
    /// A `read()` from above that arrived during the handshake and still needs honouring.
    private var upstreamReadPending = false
    private var receivedApplicationData = false

    /// Smallest plaintext buffer decrypted into: one full TLS record.
    private static let minimumReadBuffer = 16 * 1024
    /// Largest plaintext buffer passed up at once.
    private static let maximumReadBuffer = 4 * 1024 * 1024

    /// - Parameters:
    ///   - context: the process-wide configuration; a new `SSL` is made from it when the handler is added.
    ///   - handshakeTimeout: how long a peer may take to complete the handshake before it is dropped.
    public init(context: TLSContext, handshakeTimeout: TimeAmount = .seconds(10)) {
        self.tlsContext = context
        self.handshakeTimeout = handshakeTimeout
    }

    // MARK: Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        do {
            connection = try TLSConnection(
                context: tlsContext.contextForNewConnection(), serverName: tlsContext.serverName)
        } catch let error as TLSError {
            setupError = error
        } catch {
            setupError = TLSError(.configuration, "cannot set up TLS: \(error)", hint: "check the TLS configuration")
        }
        if context.channel.isActive { startHandshake(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
        failPendingWrites(ChannelError.ioOnClosedChannel)
    }

    public func channelActive(context: ChannelHandlerContext) {
        startHandshake(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        let previous = state
        state = .closed
        switch previous {
        case .idle, .handshaking:
            context.fireErrorCaught(
                TLSError(
                    .closedDuringHandshake,
                    "the \(peerName) closed the connection before the TLS handshake completed",
                    hint: "check the \(peerName)'s log: it may have refused our certificate or not speak TLS"))
        case .established where !tlsContext.isServer && !receivedApplicationData:
            // In TLS 1.3 a server that refuses our identity after the handshake can only hang up.
            context.fireErrorCaught(
                TLSError(
                    .protocolFailure,
                    "the controller closed the connection right after the TLS handshake, without a reason",
                    hint: "check the controller's log: it may not accept this certificate's identity or role"))
        case .established, .closing, .closed:
            break
        }
        failPendingWrites(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard state == .idle else { return }
        state = .handshaking
        if let setupError {
            fail(context: context, error: setupError)
            return
        }
        let loop = context.eventLoop.assumeIsolated()
        timeout = loop.scheduleTask(in: handshakeTimeout) { [weak self] in
            guard let self, self.state == .handshaking else { return }
            let limit = Self.describe(self.handshakeTimeout)
            self.fail(
                context: context,
                error: TLSError(
                    .handshakeTimeout,
                    "the \(self.peerName) did not complete the TLS handshake within \(limit)",
                    hint: "check the network path and that the \(self.peerName) speaks Keep's TLS"))
        }
        advanceHandshake(context: context)
        if state == .handshaking { context.read() }
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let connection, state == .handshaking || state == .established || state == .closing else { return }
        if firstByte == nil { firstByte = buffer.readableBytesView.first }
        connection.receive(buffer)
        if state == .handshaking {
            advanceHandshake(context: context)
        } else {
            readApplicationData(context: context)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        switch state {
        case .handshaking: context.read()  // We drive reads ourselves until the peer is verified.
        case .established, .closing: context.fireChannelReadComplete()
        case .idle, .closed: break
        }
    }

    public func read(context: ChannelHandlerContext) {
        if state == .handshaking || state == .idle { upstreamReadPending = true }
        context.read()
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        guard let connection else { return }
        switch connection.handshake() {
        case .wantRead:
            writeOutput(context: context)
        case .done:
            writeOutput(context: context)  // The client's Finished.
            completeHandshake(context: context, connection: connection)
        case .closeNotify, .failed:
            fail(context: context, error: classifyFailure(connection))
        }
    }

    private func completeHandshake(context: ChannelHandlerContext, connection: TLSConnection) {
        let event: TLSHandshakeCompleted
        do {
            guard let certificate = PeerCertificate(ssl: connection.ssl) else {
                throw TLSError(
                    .noPeerCertificate, "the \(peerName) presented no certificate; Keep requires mutual TLS",
                    hint: "configure the \(peerName) with a certificate issued by the Keep CA")
            }
            let identity = try certificate.identity(
                acceptedRoles: tlsContext.acceptedRoles, isServer: tlsContext.isServer)
            event = TLSHandshakeCompleted(
                peer: identity, certificateFingerprint: certificate.fingerprint,
                certificateNotAfter: certificate.notAfter)
        } catch let error as TLSError {
            fail(context: context, error: error)
            return
        } catch {
            fail(context: context, error: TLSError(.protocolFailure, "\(error)", hint: "report this"))
            return
        }
        timeout?.cancel()
        timeout = nil
        state = .established
        context.fireUserInboundEventTriggered(event)
        guard state == .established else { return }

        let writes = bufferedWrites
        bufferedWrites = []
        for (buffer, promise) in writes { encrypt(context: context, buffer, promise: promise) }
        if flushRequested {
            flushRequested = false
            writeOutput(context: context)
        }
        readApplicationData(context: context)  // Records that arrived with the peer's Finished.
        if upstreamReadPending, state == .established {
            upstreamReadPending = false
            context.read()
        }
    }

    /// Decrypts everything OpenSSL can and passes it up in as few buffers as possible (one per call, normally):
    /// each buffer is sized for all the ciphertext received so far, so the decoder above sees big slices.
    private func readApplicationData(context: ChannelHandlerContext) {
        guard let connection else { return }
        while state == .established || state == .closing {
            let capacity = min(max(Self.minimumReadBuffer, connection.pendingBytes), Self.maximumReadBuffer)
            var buffer = context.channel.allocator.buffer(capacity: capacity)
            let outcome = connection.read(into: &buffer)
            if buffer.readableBytes > 0 {
                receivedApplicationData = true
                context.fireChannelRead(wrapInboundOut(buffer))
            }
            switch outcome {
            case .done:
                continue  // The buffer filled up: there may be more.
            case .wantRead:
                writeOutput(context: context)  // Anything OpenSSL produced while reading (e.g. a key update).
                return
            case .closeNotify:
                guard state == .established || state == .closing else { return }
                context.fireUserInboundEventTriggered(TLSCloseNotifyReceived())
                closeOrderly(context: context, mode: .all, promise: nil)
                return
            case .failed:
                fail(context: context, error: classifyFailure(connection))
                return
            }
        }
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        switch state {
        case .idle, .handshaking: bufferedWrites.append((buffer, promise))
        case .established: encrypt(context: context, buffer, promise: promise)
        case .closing, .closed: promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    public func flush(context: ChannelHandlerContext) {
        switch state {
        case .idle, .handshaking: flushRequested = true
        case .established, .closing: writeOutput(context: context)
        case .closed: break
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch state {
        case .established:
            closeOrderly(context: context, mode: mode, promise: promise)
        case .idle, .handshaking:
            state = .closed
            timeout?.cancel()
            failPendingWrites(ChannelError.ioOnClosedChannel)
            context.close(mode: mode, promise: promise)
        case .closing, .closed:
            context.close(mode: mode, promise: promise)
        }
    }

    private func encrypt(context: ChannelHandlerContext, _ buffer: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let connection else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if buffer.readableBytes > 0, connection.write(buffer) != .done {
            let error = classifyFailure(connection)
            promise?.fail(error)
            fail(context: context, error: error)
            return
        }
        if let promise { encryptedPromises.append(promise) }
    }

    /// Moves all ciphertext OpenSSL produced to the socket (one flush for the batch) and completes the promises of
    /// the plaintext it holds.
    private func writeOutput(context: ChannelHandlerContext) {
        let promises = encryptedPromises
        encryptedPromises = []
        let output = connection?.takeOutput() ?? []
        guard let last = output.last else {
            promises.forEach { $0.succeed() }
            context.flush()
            return
        }
        var combined: EventLoopPromise<Void>?
        if let first = promises.first {
            combined = first
            if promises.count > 1 {
                let all = context.eventLoop.makePromise(of: Void.self)
                promises.forEach { all.futureResult.cascade(to: $0) }
                combined = all
            }
        }
        for buffer in output.dropLast() { context.write(wrapOutboundOut(buffer), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(last), promise: combined)
    }

    /// Sends close_notify after everything already written, then closes.
    private func closeOrderly(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        state = .closing
        connection?.shutdown()
        let written = context.eventLoop.makePromise(of: Void.self)
        encryptedPromises.append(written)
        writeOutput(context: context)
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.close(mode: mode, promise: promise)
        }
    }

    // MARK: Failure

    /// Reports `error`, sends any alert OpenSSL queued, and closes.
    private func fail(context: ChannelHandlerContext, error: TLSError) {
        guard state != .closed else { return }
        state = .closed
        timeout?.cancel()
        timeout = nil
        ERR_clear_error()
        let alert = connection?.takeOutput() ?? []
        failPendingWrites(error)
        context.fireErrorCaught(error)
        if let last = alert.last {
            for buffer in alert.dropLast() { context.write(wrapOutboundOut(buffer), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(last)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            context.close(promise: nil)
        }
    }

    private func failPendingWrites(_ error: Error) {
        let writes = bufferedWrites
        let promises = encryptedPromises
        bufferedWrites = []
        encryptedPromises = []
        writes.forEach { $0.1?.fail(error) }
        promises.forEach { $0.fail(error) }
    }

    private func classifyFailure(_ connection: TLSConnection) -> TLSError {
        TLSFailure.classify(ssl: connection.ssl, isServer: tlsContext.isServer, firstByte: firstByte)
    }

    private var peerName: String { tlsContext.isServer ? "client" : "controller" }

    private static func describe(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}

@available(*, unavailable)
extension TLSHandler: Sendable {}
