import COpenSSL
import NIOCore

/// The two byte queues between a connection's `SSL` and the socket, exposed to OpenSSL as one custom BIO.
///
/// Replaces a pair of memory BIOs, which cost a `memset` plus a `memcpy` for every byte in each direction:
/// ciphertext from the socket is handed over as the received `ByteBuffer` itself (OpenSSL copies it once into its
/// record buffer), and the records OpenSSL produces are appended straight to the buffers that go to the socket.
///
/// Output goes into buffers of at most 64 KiB, sized from what the caller said to expect: no reallocation while a
/// big write is encrypted, and no multi-megabyte allocation per flush (the socket gathers them with `writev`).
final class ByteBufferBIO {
    /// Ciphertext received and not yet consumed by OpenSSL.
    var inbound: ByteBuffer?
    /// Full output buffers not yet taken for the socket.
    private var completedOutput: [ByteBuffer] = []
    /// The output buffer being filled.
    private var currentOutput = ByteBuffer()
    /// Bytes the caller expects OpenSSL to write soon, to size the next output buffer.
    var expectedOutput = 0

    static let maximumOutputBuffer = 64 * 1024

    /// Ciphertext produced and not yet taken.
    var pendingOutput: Int { completedOutput.reduce(currentOutput.readableBytes) { $0 + $1.readableBytes } }

    /// Queues ciphertext OpenSSL wrote, filling the current buffer before starting another.
    func appendOutput(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            if currentOutput.writableBytes == 0 {
                if currentOutput.readableBytes > 0 { completedOutput.append(currentOutput) }
                currentOutput = nextOutputBuffer(for: bytes.count - offset)
            }
            let count = min(currentOutput.writableBytes, bytes.count - offset)
            currentOutput.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            offset += count
            expectedOutput = max(0, expectedOutput - count)
        }
    }

    /// Everything queued for the socket, in order; empty when there is nothing.
    func takeOutput() -> [ByteBuffer] {
        var output = completedOutput
        completedOutput = []
        if currentOutput.readableBytes > 0 {
            output.append(currentOutput)
            currentOutput = ByteBuffer()
        }
        return output
    }

    private func nextOutputBuffer(for count: Int) -> ByteBuffer {
        let wanted = min(max(expectedOutput, count, 1024), Self.maximumOutputBuffer)
        return ByteBufferAllocator().buffer(capacity: wanted)
    }

    /// Makes a BIO reading from and writing to `queues`; the caller keeps `queues` alive as long as the BIO.
    static func makeBIO(for queues: ByteBufferBIO) -> OpaquePointer? {
        guard let method = ByteBufferBIOMethod.shared.pointer, let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(queues).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    fileprivate static func queues(of bio: OpaquePointer?) -> ByteBufferBIO? {
        guard let bio, let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<ByteBufferBIO>.fromOpaque(data).takeUnretainedValue()
    }
}

/// The process-wide `BIO_METHOD` of ``ByteBufferBIO``: created once, never freed, shared by every connection.
private final class ByteBufferBIOMethod: @unchecked Sendable {
    static let shared = ByteBufferBIOMethod()

    let pointer: OpaquePointer?

    private init() {
        let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "keep-bytebuffer")
        if let method {
            _ = BIO_meth_set_read(method, byteBufferBIORead)
            _ = BIO_meth_set_write(method, byteBufferBIOWrite)
            _ = BIO_meth_set_ctrl(method, byteBufferBIOControl)
        }
        pointer = method
    }
}

private let retryFlags = Int32(BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)

/// Copies queued ciphertext into OpenSSL's buffer; "retry" when there is none yet (never end of file).
private func byteBufferBIORead(_ bio: OpaquePointer?, _ out: UnsafeMutablePointer<CChar>?, _ length: Int32) -> Int32 {
    BIO_clear_flags(bio, retryFlags)
    guard let queues = ByteBufferBIO.queues(of: bio), let out, length > 0 else { return 0 }
    guard var inbound = queues.inbound, inbound.readableBytes > 0 else {
        BIO_set_flags(bio, Int32(BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY))
        return -1
    }
    queues.inbound = nil  // Keep `inbound` uniquely referenced while reading from it.
    let count = min(Int(length), inbound.readableBytes)
    inbound.withUnsafeReadableBytes { bytes in
        if let base = bytes.baseAddress { UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: count) }
    }
    inbound.moveReaderIndex(forwardBy: count)
    if inbound.readableBytes > 0 { queues.inbound = inbound }
    return Int32(count)
}

/// Appends the records OpenSSL wrote to the outbound queue.
private func byteBufferBIOWrite(_ bio: OpaquePointer?, _ data: UnsafePointer<CChar>?, _ length: Int32) -> Int32 {
    BIO_clear_flags(bio, retryFlags)
    guard let queues = ByteBufferBIO.queues(of: bio), let data, length > 0 else { return 0 }
    queues.appendOutput(UnsafeRawBufferPointer(start: data, count: Int(length)))
    return length
}

/// Answers the few controls OpenSSL's TLS code sends to its BIO.
private func byteBufferBIOControl(
    _ bio: OpaquePointer?, _ command: Int32, _ argument: Int, _ pointer: UnsafeMutableRawPointer?
) -> Int {
    switch command {
    case BIO_CTRL_FLUSH: return 1
    case BIO_CTRL_PENDING: return ByteBufferBIO.queues(of: bio)?.inbound?.readableBytes ?? 0
    case BIO_CTRL_WPENDING: return ByteBufferBIO.queues(of: bio)?.pendingOutput ?? 0
    default: return 0
    }
}
