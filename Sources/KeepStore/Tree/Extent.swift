import KeepCore

/// A run of file data starting at `offset`, stored as consecutive chunks.
///
/// A non-sparse file is one extent at offset 0; a sparse file lists only its data runs and the
/// holes between them are implied zeros, so restoring it does not inflate it.
public struct Extent: Sendable, Hashable {
    /// Where the run starts in the file.
    public var offset: UInt64
    /// The chunks, in file order, whose plaintext lengths add up to the run's length.
    public var chunks: [ChunkRef]

    /// A run of chunks at an offset.
    public init(offset: UInt64, chunks: [ChunkRef]) {
        self.offset = offset
        self.chunks = chunks
    }

    /// The number of bytes the run covers.
    public var length: UInt64 { chunks.reduce(0) { $0 + UInt64($1.length) } }
}

/// A reference to one chunk of file data and its plaintext length.
public struct ChunkRef: Sendable, Hashable {
    public var id: ChunkID
    /// Plaintext length; chunks are at most a few MiB, never empty.
    public var length: UInt32

    /// A chunk id with its plaintext length.
    public init(id: ChunkID, length: UInt32) {
        self.id = id
        self.length = length
    }
}
