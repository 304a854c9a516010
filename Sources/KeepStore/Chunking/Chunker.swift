/// FastCDC-style content-defined chunking: finds where the current chunk ends.
///
/// A gear hash (`h = (h << 1) + gear[byte]`) rolls over the bytes after `minimumSize`; a boundary is the
/// first position where the hash's top bits under a mask are all zero. Up to `averageSize` a stricter mask
/// is used, after it a looser one (normalized chunking), which narrows the size distribution around the
/// average. Because a boundary depends only on the last 64 bytes before it, inserting bytes into a file
/// changes only the chunks around the insertion; later chunks realign and keep deduplicating.
///
/// The chunker is resumable: call `nextBoundary(in:atEOF:)` with the bytes of the current chunk as they
/// arrive (always starting at the chunk's first byte); it remembers how far it has scanned. When it
/// returns a length, that many bytes form a chunk and the next call starts a new chunk.
public struct Chunker: Sendable {
    /// The sizes this chunker enforces.
    public let parameters: ChunkerParameters
    private var scanned = 0
    private var hash: UInt64 = 0

    /// A chunker at the start of a stream.
    public init(parameters: ChunkerParameters = .default) {
        self.parameters = parameters
    }

    /// Returns the length of the current chunk if `buffer` (which starts at the chunk's first byte) holds
    /// its end, or `nil` if more bytes are needed. At end of stream (`atEOF`) the rest is one final chunk,
    /// and an empty buffer yields `nil`.
    public mutating func nextBoundary(in buffer: UnsafeRawBufferPointer, atEOF: Bool) -> Int? {
        precondition(buffer.count >= scanned, "the buffer must start at the current chunk and only grow")
        if let length = scan(buffer) {
            scanned = 0
            hash = 0
            return length
        }
        if atEOF && !buffer.isEmpty {
            scanned = 0
            hash = 0
            return buffer.count
        }
        return nil
    }

    /// Scans from where the previous call stopped; records progress when no boundary is found.
    private mutating func scan(_ buffer: UnsafeRawBufferPointer) -> Int? {
        let minimum = parameters.minimumSize
        let average = parameters.averageSize
        let maximum = parameters.maximumSize
        let available = min(buffer.count, maximum)
        guard available > minimum, let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return buffer.count >= maximum ? maximum : nil
        }
        var position = max(scanned, minimum)
        var state = hash
        let found: Int? = GearTable.values.withUnsafeBufferPointer { gear -> Int? in
            guard let gear = gear.baseAddress else { return nil }
            let strict = parameters.strictMask
            let strictEnd = min(available, average)
            while position < strictEnd {
                state = (state << 1) &+ gear[Int(base[position])]
                position += 1
                if state & strict == 0 { return position }
            }
            let loose = parameters.looseMask
            while position < available {
                state = (state << 1) &+ gear[Int(base[position])]
                position += 1
                if state & loose == 0 { return position }
            }
            return nil
        }
        if let found { return found }
        if available == maximum { return maximum }
        scanned = position
        hash = state
        return nil
    }
}
