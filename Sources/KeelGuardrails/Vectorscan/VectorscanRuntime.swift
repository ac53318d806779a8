internal import CVectorscan

#if canImport(Glibc)
import Glibc
#endif

/// Which of Vectorscan's scanners Keel calls, and for which CPU features it compiles databases.
///
/// Debian's Vectorscan is built with a "fat runtime": one copy of the scanner per x86 instruction set
/// (`core2_hs_scan`, `corei7_hs_scan`, `avx2_hs_scan`, `avx512_hs_scan`), and `hs_scan` dispatches to
/// the best one the CPU has. The AVX-512 scanner of Vectorscan 5.4.9 (Debian 12) misses matches of
/// multi-pattern databases: in a measurement on this project's machines, `project[\s_\-]+falcon`
/// compiled with one other phrase was missed in 870 of 1,500 texts of repeated letters and 18 of
/// 1,500 of random letters, depending on where it fell relative to 64-byte blocks, while the AVX2,
/// SSE4.2 and SSE2 scanners found every one (upstream: VectorCamp/vectorscan#317 and the AVX-512
/// accelerator fixes released in 5.4.12 and 5.4.13). So on a CPU with AVX-512, Keel compiles its
/// databases for AVX2 and calls the AVX2 scanner directly; everywhere else (no AVX-512, a build
/// without the fat runtime, another architecture) it uses `hs_scan` and the host's features as before.
struct VectorscanRuntime: Sendable {
    typealias ScanFunction = @convention(c) (
        OpaquePointer?, UnsafePointer<CChar>?, UInt32, UInt32, OpaquePointer?, match_event_handler?, UnsafeMutableRawPointer?
    ) -> hs_error_t

    /// The runtime for this process, chosen once.
    static let shared = VectorscanRuntime()

    /// The scanner called for every scan.
    let scan: ScanFunction
    /// The CPU features databases are compiled for (`cpu_features` of `hs_platform_info_t`).
    let cpuFeatures: UInt64

    private init() {
        var platform = hs_platform_info_t()
        _ = hs_populate_platform(&platform)
        let avx512 = UInt64(HS_CPU_FEATURES_AVX512) | UInt64(HS_CPU_FEATURES_AVX512VBMI)
        if platform.cpu_features & avx512 != 0, let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "avx2_hs_scan") {
            scan = unsafeBitCast(symbol, to: ScanFunction.self)
            cpuFeatures = platform.cpu_features & ~avx512
        } else {
            scan = { database, data, length, flags, scratch, handler, context in
                hs_scan(database, data, length, flags, scratch, handler, context)
            }
            cpuFeatures = platform.cpu_features
        }
    }

    /// The platform to compile databases for.
    var platform: hs_platform_info_t {
        var platform = hs_platform_info_t()
        _ = hs_populate_platform(&platform)
        platform.cpu_features = cpuFeatures
        return platform
    }
}
