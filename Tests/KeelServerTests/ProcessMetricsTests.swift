#if os(Linux)
import Glibc
import Testing
@testable import KeelTelemetry

extension MetricsTests {
    @Suite struct ProcessMetricsTests {
        @Test func processMetricsArePresentAndPlausible() throws {
            let registry = MetricsRegistry()
            ProcessMetrics.register(in: registry)
            ProcessMetrics.register(in: registry)   // a second call is a no-op

            let samples = try ExpositionParser.parse(registry.exposition())
            var values: [String: Double] = [:]
            for sample in samples {
                #expect(values[sample.name] == nil, "duplicate \(sample.name)")
                #expect(sample.labels.isEmpty)
                values[sample.name] = sample.value
            }
            #expect(Set(values.keys) == [
                "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                "process_start_time_seconds", "process_open_fds", "process_max_fds", "process_threads",
            ])
            let now = Double(time(nil))
            let cpu = try #require(values["process_cpu_seconds_total"])
            let resident = try #require(values["process_resident_memory_bytes"])
            let virtual = try #require(values["process_virtual_memory_bytes"])
            let start = try #require(values["process_start_time_seconds"])
            let openFDs = try #require(values["process_open_fds"])
            let maxFDs = try #require(values["process_max_fds"])
            let threads = try #require(values["process_threads"])
            #expect(cpu >= 0)
            #expect(resident > 0)
            #expect(virtual >= resident)
            #expect(start > now - 3600 && start <= now + 1)
            #expect(openFDs >= 3)
            #expect(maxFDs >= openFDs)
            #expect(threads >= 1)
        }

        @Test func openFileDescriptorsAreCounted() throws {
            var descriptors: [Int32] = []
            defer { for descriptor in descriptors { close(descriptor) } }
            for _ in 0..<32 {
                let descriptor = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)
                try #require(descriptor >= 0)
                descriptors.append(descriptor)
            }
            // Standard input, output and error plus the 32 just opened; other tests may hold more.
            let count = try #require(ProcessMetrics.openFileDescriptors())
            #expect(count >= 35)
            let limit = try #require(ProcessMetrics.maxFileDescriptors())
            #expect(Double(count) <= limit)
        }

        @Test func cpuTimeGrowsWithWork() throws {
            let before = try #require(ProcessMetrics.stat())
            var accumulator: UInt64 = 0
            var clock = timespec()
            repeat {
                for value in 0..<200_000 { accumulator = accumulator &* 31 &+ UInt64(value) }
                clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &clock)
            } while clock.tv_sec == 0 && clock.tv_nsec < 50_000_000
            let after = try #require(ProcessMetrics.stat())
            #expect(accumulator != 1)
            #expect(after.cpuSeconds >= before.cpuSeconds)
            #expect(after.cpuSeconds > 0)
            #expect(after.startTicks == before.startTicks)
        }

        @Test func parsesStatWithAnAwkwardCommandName() throws {
            let line = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 7 0 "
                + "123456 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
            let stat = try #require(ProcessMetrics.parseStat(line, ticksPerSecond: 100, pageSize: 4096))
            #expect(stat == ProcessMetrics.Stat(
                cpuSeconds: 4, residentMemoryBytes: 2560 * 4096, virtualMemoryBytes: 104_857_600,
                threads: 7, startTicks: 123_456
            ))
            // User and system ticks whose sum overflows UInt64 still parse.
            let saturated = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 18446744073709551615 150 0 0 20 0 1 0 1 4096 1 0\n"
            #expect(try #require(ProcessMetrics.parseStat(saturated, ticksPerSecond: 100, pageSize: 4096)).cpuSeconds > 1e17)
            #expect(ProcessMetrics.parseStat("garbage", ticksPerSecond: 100, pageSize: 4096) == nil)
            #expect(ProcessMetrics.parseStat("1 (x) S 1 2", ticksPerSecond: 100, pageSize: 4096) == nil)
        }

        @Test func parsesBootTime() {
            let text = "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 0\nctxt 99\nbtime 1700000000\nprocesses 10\n"
            #expect(ProcessMetrics.parseBootTime(text) == 1_700_000_000)
            #expect(ProcessMetrics.parseBootTime("cpu 1 2 3\n") == nil)
        }
    }
}
#endif
