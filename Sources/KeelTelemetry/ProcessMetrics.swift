#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard Prometheus process metrics, read from `/proc` at scrape time.
///
/// ``register(in:)`` adds callback metrics named as the Prometheus client libraries name them:
/// `process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
/// `process_open_fds`, `process_max_fds`, `process_start_time_seconds` and `process_threads`.
/// On systems without `/proc` only `process_max_fds` is available.
public enum ProcessMetrics {
    /// Values parsed from `/proc/self/stat`.
    public struct Stat: Sendable, Equatable {
        /// User plus system CPU time consumed, in seconds.
        public var cpuSeconds: Double
        /// Resident set size, in bytes.
        public var residentMemoryBytes: Double
        /// Virtual memory size, in bytes.
        public var virtualMemoryBytes: Double
        /// The number of threads.
        public var threads: Int
        /// The process start time, in clock ticks since boot.
        public var startTicks: UInt64
    }

    /// Registers the process metrics in `registry`. Calling it again on the same registry does nothing.
    public static func register(in registry: MetricsRegistry) {
        guard !registry.contains("process_max_fds") else { return }
        #if os(Linux)
        registry.callbackCounter(
            "process_cpu_seconds_total",
            help: "Total user and system CPU time spent in seconds."
        ) { stat()?.cpuSeconds }
        registry.callbackGauge(
            "process_resident_memory_bytes",
            help: "Resident memory size in bytes."
        ) { stat()?.residentMemoryBytes }
        registry.callbackGauge(
            "process_virtual_memory_bytes",
            help: "Virtual memory size in bytes."
        ) { stat()?.virtualMemoryBytes }
        let startTime = startTimeSeconds()
        registry.callbackGauge(
            "process_start_time_seconds",
            help: "Start time of the process since unix epoch in seconds."
        ) { startTime }
        registry.callbackGauge(
            "process_open_fds",
            help: "Number of open file descriptors."
        ) { openFileDescriptors().map(Double.init) }
        #endif
        registry.callbackGauge(
            "process_max_fds",
            help: "Maximum number of open file descriptors."
        ) { maxFileDescriptors() }
        #if os(Linux)
        registry.callbackGauge(
            "process_threads",
            help: "Number of OS threads in the process."
        ) { stat().map { Double($0.threads) } }
        #endif
    }

    /// The soft limit on open file descriptors (`RLIMIT_NOFILE`), or `nil` if it cannot be read.
    public static func maxFileDescriptors() -> Double? {
        var limit = rlimit()
        #if os(Linux)
        let result = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #else
        let result = getrlimit(RLIMIT_NOFILE, &limit)
        #endif
        guard result == 0 else { return nil }
        return Double(limit.rlim_cur)
    }

    #if os(Linux)
    /// Parses `/proc/self/stat`, or returns `nil` if it cannot be read.
    public static func stat() -> Stat? {
        guard let text = readFile("/proc/self/stat") else { return nil }
        return parseStat(text, ticksPerSecond: ticksPerSecond, pageSize: pageSize)
    }

    /// The number of open file descriptors (entries of `/proc/self/fd`, not counting the one used
    /// to list it), or `nil` if the directory cannot be read.
    public static func openFileDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        let ownDescriptor = dirfd(directory)
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let descriptor = Int32(name), descriptor != ownDescriptor else { continue }
            count += 1
        }
        return count
    }

    /// The process start time in seconds since the Unix epoch, or `nil` if `/proc` cannot be read.
    public static func startTimeSeconds() -> Double? {
        guard let stat = stat(),
              let text = readFile("/proc/stat"),
              let bootTime = parseBootTime(text)
        else { return nil }
        return bootTime + Double(stat.startTicks) / ticksPerSecond
    }

    /// Parses the contents of a `/proc/<pid>/stat` file.
    ///
    /// The command name (field 2) may contain spaces and parentheses, so fields are counted from
    /// the last `)`.
    static func parseStat(_ text: String, ticksPerSecond: Double, pageSize: Double) -> Stat? {
        guard let close = text.utf8.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // fields[0] is field 3 (state); field n is fields[n - 3].
        let fields = text[text.utf8.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 22,
              let userTicks = UInt64(fields[11]),
              let systemTicks = UInt64(fields[12]),
              let threads = Int(fields[17]),
              let startTicks = UInt64(fields[19]),
              let virtualBytes = UInt64(fields[20]),
              let residentPages = Int64(fields[21].trimmingSuffix("\n"))
        else { return nil }
        return Stat(
            cpuSeconds: (Double(userTicks) + Double(systemTicks)) / ticksPerSecond,
            residentMemoryBytes: Double(max(residentPages, 0)) * pageSize,
            virtualMemoryBytes: Double(virtualBytes),
            threads: threads,
            startTicks: startTicks
        )
    }

    /// Finds the `btime` line (boot time, seconds since the epoch) in the contents of `/proc/stat`.
    static func parseBootTime(_ text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count).trimmingSuffix(" "))
        }
        return nil
    }

    private static let ticksPerSecond: Double = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
    }()

    private static let pageSize: Double = {
        let size = sysconf(Int32(_SC_PAGESIZE))
        return size > 0 ? Double(size) : 4096
    }()

    /// Reads a whole (small, possibly size-less `/proc`) file, retrying on `EINTR`.
    private static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
    #endif
}

extension Substring {
    /// The substring without trailing occurrences of `suffix`.
    fileprivate func trimmingSuffix(_ suffix: Character) -> Substring {
        var result = self
        while result.last == suffix { result = result.dropLast() }
        return result
    }
}
