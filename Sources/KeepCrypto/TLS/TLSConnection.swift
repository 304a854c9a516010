import COpenSSL
import NIOCore

/// One connection's `SSL` object and its byte queues: ciphertext from the socket is queued for OpenSSL without a
/// copy, ciphertext for the socket is taken as one `ByteBuffer`. Owns the `SSL` (which owns the BIO).
final class TLSConnection {
    let ssl: OpaquePointer
    /// Read by the BIO's callbacks; outlives the BIO because `deinit` frees the `SSL` before releasing it.
    private let queues = ByteBufferBIO()
    /// Keeps the `SSL_CTX` alive as long as this connection, even if a CRL reload replaced it.
    let context: OpenSSLContext

    /// What a call into OpenSSL left us with.
    enum Outcome {
        case done
        case wantRead
        case closeNotify
        case failed
    }

    init(context: OpenSSLContext, serverName: String?) throws {
        ERR_clear_error()
        guard let ssl = SSL_new(context.pointer) else {
            throw OpenSSLContext.failure("cannot create a TLS connection", hint: "check memory and the OpenSSL setup")
        }
        guard let bio = ByteBufferBIO.makeBIO(for: queues) else {
            SSL_free(ssl)
            throw OpenSSLContext.failure("cannot create TLS buffers", hint: "check memory and the OpenSSL setup")
        }
        SSL_set_bio(ssl, bio, bio)  // One BIO for both directions: the SSL takes its single reference.
        self.ssl = ssl
        self.context = context
        if context.isServer {
            SSL_set_accept_state(ssl)
        } else {
            SSL_set_connect_state(ssl)
            if let serverName {
                // An IP address is checked against IP SANs, anything else against DNS SANs (and sent as SNI).
                if X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) != 1 {
                    ERR_clear_error()
                    guard SSL_set1_host(ssl, serverName) == 1, keep_SSL_set_tlsext_host_name(ssl, serverName) == 1
                    else {
                        throw OpenSSLContext.failure(
                            "cannot use \(serverName) as the controller's name",
                            hint: "give the controller address as a DNS name or an IP address")
                    }
                }
            }
        }
    }

    deinit { SSL_free(ssl) }

    /// Hands ciphertext received from the socket to OpenSSL: queued as is, copied only behind unconsumed bytes.
    func receive(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        if var pending = queues.inbound {
            queues.inbound = nil
            pending.writeImmutableBuffer(buffer)
            queues.inbound = pending
        } else {
            queues.inbound = buffer
        }
    }

    /// Ciphertext received and not yet decrypted, plus plaintext OpenSSL decrypted but not yet returned: an upper
    /// bound of what `read` can still return before more bytes arrive.
    var pendingBytes: Int { (queues.inbound?.readableBytes ?? 0) + Int(SSL_pending(ssl)) }

    func handshake() -> Outcome { outcome(of: SSL_do_handshake(ssl)) }

    /// Decrypts into `buffer` until its writable space is full or OpenSSL needs more ciphertext, and says which:
    /// `.done` when the buffer filled up, otherwise why OpenSSL stopped (what was decrypted before stays in `buffer`).
    func read(into buffer: inout ByteBuffer) -> Outcome {
        while buffer.writableBytes > 0 {
            var result: Int32 = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { bytes in
                guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
                result = SSL_read(ssl, base, Int32(clamping: bytes.count))
                return result > 0 ? Int(result) : 0
            }
            guard result > 0 else { return outcome(of: result) }
        }
        return .done
    }

    /// Encrypts the readable bytes of `buffer` straight from its storage (no intermediate copy) into the outbound
    /// queue, telling it how much to expect so that its buffers are sized once.
    func write(_ buffer: ByteBuffer) -> Outcome {
        let records = (buffer.readableBytes + Self.maximumRecordPlaintext - 1) / Self.maximumRecordPlaintext
        queues.expectedOutput = buffer.readableBytes + records * Self.recordOverhead
        return buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count, let base = bytes.baseAddress {
                let chunk = Int32(clamping: bytes.count - offset)
                let written = SSL_write(ssl, base + offset, chunk)
                guard written > 0 else { return outcome(of: written) }
                offset += Int(written)
            }
            return .done
        }
    }

    /// TLS 1.3 limits a record to 16 KiB of plaintext and adds a 5-byte header, the content type byte and a
    /// 16-byte AEAD tag to each.
    private static let maximumRecordPlaintext = 16 * 1024
    private static let recordOverhead = 5 + 1 + 16

    /// Queues our close_notify alert.
    func shutdown() {
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Ciphertext waiting to be sent, in order, handed over without a copy; empty when there is none.
    func takeOutput() -> [ByteBuffer] { queues.takeOutput() }

    private func outcome(of result: Int32) -> Outcome {
        if result == 1 { return .done }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wantRead
        case SSL_ERROR_ZERO_RETURN: return .closeNotify
        default: return .failed
        }
    }
}
