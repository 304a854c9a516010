/// Decides whether a chunk is stored compressed: compress with zstd, keep the result only if it saves
/// at least 3%, otherwise store the raw bytes (already-compressed media would only cost CPU on restore).
public struct Compression: Sendable {
    /// A chunk's bytes as they go into a pack, with what a reader needs to get the plaintext back.
    public struct Payload: Sendable {
        /// The bytes to store: zstd frame or raw plaintext.
        public var bytes: [UInt8]
        /// Whether `bytes` is a zstd frame.
        public var compressed: Bool
        /// The length of the plaintext.
        public var plaintextLength: Int
    }

    /// zstd level; 3 balances speed (~200 MB/s per core) and ratio.
    public var level: Int32
    /// Keep the compressed form only when it is smaller than this fraction of the input.
    public var keepRatio: Double

    /// The store's policy: level 3, keep below 97%.
    public static let `default` = Compression(level: 3, keepRatio: 0.97)

    /// A policy with a custom level or threshold.
    public init(level: Int32, keepRatio: Double) {
        self.level = level
        self.keepRatio = keepRatio
    }

    /// Applies the policy to one chunk.
    public func apply(to plaintext: UnsafeRawBufferPointer) throws -> Payload {
        if !plaintext.isEmpty {
            let compressed = try Zstd.compress(plaintext, level: level)
            if Double(compressed.count) < Double(plaintext.count) * keepRatio {
                return Payload(bytes: compressed, compressed: true, plaintextLength: plaintext.count)
            }
        }
        return Payload(bytes: [UInt8](plaintext), compressed: false, plaintextLength: plaintext.count)
    }

    /// Applies the policy to an array.
    public func apply(to plaintext: [UInt8]) throws -> Payload {
        try plaintext.withUnsafeBytes { try apply(to: $0) }
    }
}
