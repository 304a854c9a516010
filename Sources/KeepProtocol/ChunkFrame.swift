import KeepCore
import NIOCore

/// A CHUNK frame: one content-addressed object (a data chunk or a tree) sent as raw bytes.
///
/// Wire layout of the payload (after the 5-byte frame header), all integers big-endian:
/// 32-byte id · u8 type · u8 compression · u16 reserved (0) · u32 plaintext length · bytes.
public struct ChunkFrame: Sendable, Hashable {
    /// Bytes between the kind byte and the object bytes.
    public static let headerLength = 40

    /// SHA-256 of the plaintext; the receiver recomputes it after decompression.
    public var id: ChunkID
    /// Whether the bytes are file content or a tree object.
    public var type: ObjectType
    /// How `payload` is encoded.
    public var compression: Compression
    /// Length of the object after decompression; at most `ProtocolLimits.maximumObjectLength`.
    public var plaintextLength: UInt32
    /// The object bytes, compressed as `compression` says. A slice of the received buffer (no copy).
    public var payload: ByteBuffer

    /// Assembles a frame; `encode` and the decoder check the invariants, not this initialiser.
    public init(id: ChunkID, type: ObjectType, compression: Compression, plaintextLength: UInt32, payload: ByteBuffer) {
        self.id = id
        self.type = type
        self.compression = compression
        self.plaintextLength = plaintextLength
        self.payload = payload
    }
}

/// What a CHUNK frame carries. The raw values are frozen wire values.
public enum ObjectType: UInt8, Sendable, Hashable {
    /// A piece of a regular file's content.
    case data = 0
    /// A serialized directory listing.
    case tree = 1
}

/// How a CHUNK frame's bytes are encoded. The raw values are frozen wire values.
public enum Compression: UInt8, Sendable, Hashable {
    /// The bytes are the plaintext; their count equals the plaintext length.
    case none = 0
    /// One zstd frame that decompresses to exactly the plaintext length.
    case zstd = 1
}
