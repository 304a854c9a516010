#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for the daemons, which move megabyte-sized chunks between threads.
///
/// glibc raises its mmap threshold each time a large block is freed (up to 32 MiB), after which chunk
/// buffers come from per-thread arenas and stay there, fragmented: an agent backing up 1 GiB peaked at
/// 177 MiB resident instead of 110. A fixed threshold serves blocks of 256 KiB and more with mmap (returned
/// to the system when freed), and two arenas bound the per-thread caches.
///
/// A 16 MiB top pad makes each heap extension large enough that the TLS layer's record buffers reuse
/// pages instead of faulting in fresh zeroed ones: `perf` showed 38 % of a TLS sender's time in the
/// kernel's `clear_page`; with the pad, page faults per GiB sent fall from ~1.58 M to ~0.27 M.
///
/// The controller receives every agent's frames: there a 256 KiB threshold would hand each megabyte-sized
/// receive buffer fresh zeroed pages (the transport bench's receiver used 3x the CPU), and its memory
/// target is far looser, so it keeps blocks up to 8 MiB in the heap.
public enum MemoryTuning {
    /// Which process the settings are for.
    public enum Profile: Sendable {
        /// Small, steady footprint (the agent runs on every server).
        case agent
        /// Throughput of receiving many agents' data.
        case controller
    }

    /// Applies the settings; call once at start-up, before other threads allocate.
    public static func apply(for profile: Profile) {
        #if canImport(Glibc)
        // <malloc.h> is not part of the Glibc module: look mallopt up
        // (M_TOP_PAD = -2, M_MMAP_THRESHOLD = -3, M_ARENA_MAX = -8).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3, profile == .agent ? (4 << 20) + (64 << 10) : 8 << 20)
        _ = mallopt(-8, 2)
        _ = mallopt(-2, profile == .agent ? 4 << 20 : 16 << 20)
        #endif
    }
}
