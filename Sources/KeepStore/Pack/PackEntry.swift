import KeepCore

/// Where one object lives inside a pack: the row the catalog's chunk index keeps per object, and one
/// record of a pack's trailer index.
public struct PackEntry: Sendable, Hashable {
    /// SHA-256 of the object's plaintext.
    public var id: ChunkID
    /// Data chunk or tree.
    public var type: ObjectType
    /// Byte offset of the sealed blob from the start of the pack.
    public var offset: UInt64
    /// Stored length of the sealed blob (nonce, ciphertext, tag).
    public var length: UInt32
    /// Length of the plaintext after decryption and decompression.
    public var plaintextLength: UInt32
    /// Whether the decrypted blob is a zstd frame.
    public var compressed: Bool

    /// Describes one object; see the properties.
    public init(id: ChunkID, type: ObjectType, offset: UInt64, length: UInt32, plaintextLength: UInt32,
                compressed: Bool) {
        self.id = id
        self.type = type
        self.offset = offset
        self.length = length
        self.plaintextLength = plaintextLength
        self.compressed = compressed
    }
}
