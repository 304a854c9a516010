#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for the daemons, which move megabyte-sized chunks between threads.
///
/// glibc raises its mmap threshold each time a large block is freed (up to 32 MiB), after which chunk
/// buffers come from per-thread arenas and stay there, fragmented: an agent backing up 1 GiB peaked at
/// 177 MiB resident instead of 110. A fixed threshold stops that, and two arenas bound the per-thread
/// caches. The agent's threshold sits just above the largest chunk (4 MiB): chunk buffers are reused from
/// the heap instead of being mapped, faulted in page by page and unmapped once each (a threshold of 256 KiB
/// did that for every chunk: 10 % of the agent's samples were page faults while backing up 1 GiB; at
/// 4 MiB + 64 KiB its CPU for that backup fell 0.5-0.8 s and its peak RSS rose 2-6 MiB).
///
/// A 16 MiB top pad makes each heap extension large enough that the TLS layer's record buffers reuse
/// pages instead of faulting in fresh zeroed ones: `perf` showed 38 % of a TLS sender's time in the
/// kernel's `clear_page`; with the pad, page faults per GiB sent fall from ~1.58 M to ~0.27 M.
///
/// The controller receives every agent's frames and its memory target is far looser: it keeps blocks up to
/// 8 MiB in the heap (with a 256 KiB threshold the transport bench's receiver used 3x the CPU).
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

    /// Returns the allocator's free memory to the system (`malloc_trim`). Without it the agent kept its
    /// freed chunk buffers after a 1 GiB backup, so the next job started from there (an unchanged
    /// re-backup peaked at 96 MiB); trimmed after each job it idles at 45-50 MiB and that re-backup
    /// peaks at 70 MiB.
    public static func releaseFreeMemory() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}
