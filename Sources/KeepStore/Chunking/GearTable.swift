/// The 256 random 64-bit values of the gear hash, one per byte value.
///
/// They are generated, not typed in: SplitMix64 started from the seed 0x4B45_4550_4344_4331 ("KEEPCDC1"),
/// entry `i` being the `i + 1`-th output. The table is frozen: changing it changes every chunk boundary
/// and defeats dedup against existing backups (Protocol/STORE-FORMAT.md §Chunking).
enum GearTable {
    static let seed: UInt64 = 0x4B45_4550_4344_4331

    static let values: [UInt64] = {
        var state = seed
        var table = [UInt64]()
        table.reserveCapacity(256)
        for _ in 0..<256 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            table.append(mixed ^ (mixed >> 31))
        }
        return table
    }()
}
