import COpenSSL
import NIOCore

/// One connection's `SSL` object and its pair of memory BIOs: ciphertext from the socket goes into `readBIO`,
/// ciphertext for the socket comes out of `writeBIO`. Owns the `SSL` (which owns both BIOs).
final class TLSConnection {
    let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
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
        guard let method = BIO_s_mem(), let readBIO = BIO_new(method), let writeBIO = BIO_new(method) else {
            SSL_free(ssl)
            throw OpenSSLContext.failure("cannot create TLS buffers", hint: "check memory and the OpenSSL setup")
        }
        // An empty read BIO means "wait for more bytes", never end of file.
        _ = keep_BIO_set_mem_eof_return(readBIO, -1)
        _ = keep_BIO_set_mem_eof_return(writeBIO, -1)
        SSL_set_bio(ssl, readBIO, writeBIO)
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
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

    /// Hands ciphertext received from the socket to OpenSSL.
    func receive(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count, let base = bytes.baseAddress {
                let chunk = Int32(clamping: bytes.count - offset)
                let written = BIO_write(readBIO, base + offset, chunk)
                guard written > 0 else { return }  // A memory BIO only fails when out of memory.
                offset += Int(written)
            }
        }
    }

    func handshake() -> Outcome { outcome(of: SSL_do_handshake(ssl)) }

    /// Decrypts as much as fits into `buffer` (one call, at most one record's worth).
    func read(into buffer: inout ByteBuffer, upTo capacity: Int) -> Outcome {
        var result: Int32 = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { bytes in
            guard let base = bytes.baseAddress else { return 0 }
            result = SSL_read(ssl, base, Int32(clamping: bytes.count))
            return result > 0 ? Int(result) : 0
        }
        return result > 0 ? .done : outcome(of: result)
    }

    /// Encrypts the readable bytes of `buffer` straight from its storage (no intermediate copy).
    func write(_ buffer: ByteBuffer) -> Outcome {
        buffer.withUnsafeReadableBytes { bytes in
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

    /// Queues our close_notify alert.
    func shutdown() {
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Ciphertext waiting to be sent, if any.
    func takeOutput(allocator: ByteBufferAllocator) -> ByteBuffer? {
        let pending = Int(keep_BIO_pending(writeBIO))
        guard pending > 0 else { return nil }
        var output = allocator.buffer(capacity: pending)
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { bytes in
            guard let base = bytes.baseAddress else { return 0 }
            return Int(max(0, BIO_read(writeBIO, base, Int32(clamping: pending))))
        }
        return output
    }

    private func outcome(of result: Int32) -> Outcome {
        if result == 1 { return .done }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wantRead
        case SSL_ERROR_ZERO_RETURN: return .closeNotify
        default: return .failed
        }
    }
}
