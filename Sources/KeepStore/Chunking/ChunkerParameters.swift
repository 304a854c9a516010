import KeepCore

/// The size limits of content-defined chunking: no chunk is shorter than `minimumSize` (except the last
/// one of a stream) or longer than `maximumSize`, and chunks average roughly `averageSize`.
///
/// The parameters are part of the dedup contract: two agents chunking the same file with different
/// parameters produce different chunks, so a repository keeps one set.
public struct ChunkerParameters: Sendable, Hashable {
    public let minimumSize: Int
    public let averageSize: Int
    public let maximumSize: Int

    /// 256 KiB / 1 MiB / 4 MiB: large enough to keep the chunk index small, small enough to dedup
    /// partially changed files.
    public static let `default` = ChunkerParameters(validated: 256 << 10, average: 1 << 20, maximum: 4 << 20)

    /// Checks that `minimum < average < maximum`, that `average` is a power of two of at least 64 bytes
    /// (the gear hash needs a window) and that `maximum` fits a `UInt32` pack entry.
    public init(minimum: Int, average: Int, maximum: Int) throws {
        guard minimum > 0, minimum < average, average < maximum, maximum <= Int(UInt32.max / 2),
            average >= 64, average & (average - 1) == 0
        else {
            throw KeepError(
                .configuration, "invalid chunker sizes \(minimum)/\(average)/\(maximum)",
                hint: "use 0 < minimum < average < maximum, with average a power of two of at least 64")
        }
        self.init(validated: minimum, average: average, maximum: maximum)
    }

    init(validated minimum: Int, average: Int, maximum: Int) {
        minimumSize = minimum
        averageSize = average
        maximumSize = maximum
    }

    /// log2 of the average size: the number of hash bits a boundary must zero on average.
    var averageBits: Int { averageSize.trailingZeroBitCount }

    /// Mask used before the average size: two bits more than average, so early cuts are rarer.
    var strictMask: UInt64 { Self.topBits(averageBits + 2) }

    /// Mask used after the average size: two bits fewer, so late cuts come sooner (normalized chunking).
    var looseMask: UInt64 { Self.topBits(max(averageBits - 2, 1)) }

    /// A mask of the `count` most significant bits: with the shift-left gear hash those are the bits
    /// that depend on the most recent 64 bytes, and the only ones independent of where hashing started.
    private static func topBits(_ count: Int) -> UInt64 {
        count >= 64 ? ~0 : ~(~UInt64(0) >> UInt64(count))
    }
}
