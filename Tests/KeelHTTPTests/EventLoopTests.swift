import Foundation
import KeelCore
@testable import KeelHTTP
import KeelTestSupport
import Testing

@Suite("Event loops")
struct EventLoopTests {
    @Test func tasksPreferringALoopRunOnItsThread() async throws {
        let group = EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        for loop in group.loops {
            let (onLoop, current) = await Task(executorPreference: loop) {
                (loop.isCurrent, group.current === loop)
            }.value
            #expect(onLoop)
            #expect(current)
        }
        #expect(group.current == nil)
        #expect(!group.loops[0].isCurrent)
    }

    @Test func aTaskResumesOnItsLoopAfterWaitingForAnotherThread() async throws {
        let group = EventLoopGroup(threads: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]
        let afterSleep = await Task(executorPreference: loop) { () -> Bool in
            try? await Task.sleep(for: .milliseconds(5))
            return loop.isCurrent
        }.value
        #expect(afterSleep)
        // Many tasks enqueued from other threads at once all run, each on the loop.
        let results = await withTaskGroup(of: Bool.self) { tasks in
            for _ in 0..<200 {
                tasks.addTask {
                    await Task(executorPreference: loop) { () -> Bool in
                        await Task.yield()
                        return loop.isCurrent
                    }.value
                }
            }
            var all: [Bool] = []
            for await r in tasks { all.append(r) }
            return all
        }
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0 })
    }

    @Test func upstreamCallsFromALoopStayOnIt() async throws {
        let upstream = try TestHTTPServer { _, connection in
            try connection.respond(status: 200, headers: [("Content-Type", "text/plain")], body: "pong")
        }
        defer { upstream.stop() }
        let group = EventLoopGroup(threads: 2)
        defer { group.shutdown() }
        let client = HTTPClient(group: group)
        for loop in group.loops {
            let (body, resumedOnLoop) = try await Task(executorPreference: loop) { () throws -> (String, Bool) in
                let (_, body) = try await client.fetch(HTTPClientRequest(url: upstream.url("/ping")), upTo: 1024)
                return (String(decoding: body, as: UTF8.self), loop.isCurrent)
            }.value
            #expect(body == "pong")
            #expect(resumedOnLoop)
        }
        // From outside any loop, requests go to the loops in turn and still complete.
        for _ in 0..<4 {
            let (response, body) = try await client.fetch(HTTPClientRequest(url: upstream.url("/ping")), upTo: 1024)
            #expect(response.status == 200)
            #expect(body == Array("pong".utf8))
        }
        #expect(client.stats.transfersCompleted == 6)
    }

    @Test(arguments: [Duration.zero, Duration.microseconds(200)])
    func serverHandlersRunOnTheirConnectionsLoopAndProxyWithoutChangingThreads(busyPoll: Duration) async throws {
        let upstream = try TestHTTPServer { _, connection in
            try connection.respond(status: 200, headers: [("Content-Type", "application/json")], body: "{\"ok\":true}")
        }
        defer { upstream.stop() }
        let group = EventLoopGroup(threads: 2, busyPoll: busyPoll)
        let client = HTTPClient(group: group)
        let upstreamURL = upstream.url("/answer")
        var router = Router()
        router.get("/proxy") { _, _ in
            let before = group.current
            let (_, body) = try await client.fetch(HTTPClientRequest(url: upstreamURL), upTo: 1 << 16)
            let after = group.current
            let sameLoop = before != nil && before === after
            return .json(bytes: body, headers: ["x-same-loop": sameLoop ? "yes" : "no"])
        }
        let (sink, _) = LogSink.memory()
        let server = HTTPServer(
            configuration: .init(host: "127.0.0.1", port: 0),
            responder: router.buildResponder(),
            logger: Logger(label: "test", level: .warning, sink: sink),
            group: group
        )
        try server.start()
        let port = server.port
        let answers = try await withThrowingTaskGroup(of: (Int, String?, String).self) { tasks in
            for _ in 0..<8 {
                tasks.addTask {
                    try await blocking {
                        let c = try RawHTTPConnection(port: port)
                        defer { c.close() }
                        c.setReadTimeout(seconds: 10)
                        var out: [(Int, String?, String)] = []
                        for _ in 0..<5 {
                            let r = try c.request("GET", "/proxy")
                            out.append((r.status, r.headers.first { $0.0.lowercased() == "x-same-loop" }?.1, String(decoding: r.body, as: UTF8.self)))
                        }
                        return out.last!
                    }
                }
            }
            var all: [(Int, String?, String)] = []
            for try await a in tasks { all.append(a) }
            return all
        }
        #expect(answers.count == 8)
        for (status, sameLoop, body) in answers {
            #expect(status == 200)
            #expect(sameLoop == "yes")
            #expect(body == "{\"ok\":true}")
        }
        await server.shutdown(gracePeriod: .seconds(2))
        client.shutdown()
        group.shutdown()
        #expect(group.isShutDown)
    }

    @Test func aBusyPollingLoopRunsWorkFromOtherThreadsAndSleepsWhenIdle() async throws {
        let group = EventLoopGroup(threads: 1, busyPoll: .milliseconds(2))
        defer { group.shutdown() }
        let loop = group.loops[0]
        // Work handed over from other threads runs, on the loop, while it polls and after it slept.
        for pause in [0, 20] {
            try await Task.sleep(for: .milliseconds(pause))
            let results = await withTaskGroup(of: Bool.self) { tasks in
                for _ in 0..<50 { tasks.addTask { await loop.submit { loop.isCurrent } } }
                var all: [Bool] = []
                for await r in tasks { all.append(r) }
                return all
            }
            #expect(results.count == 50 && results.allSatisfy { $0 })
        }
        // Once the window has passed without work, the loop blocks: its thread uses (almost) no CPU.
        // `/proc/thread-self` names the calling thread: "PID/task/TID".
        let link = await loop.submit { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self") }
        let tid = try #require(link.flatMap { $0.split(separator: "/").last.flatMap { Int32($0) } })
        try await Task.sleep(for: .milliseconds(50))
        let before = try #require(Self.cpuTicks(thread: tid))
        try await Task.sleep(for: .milliseconds(500))
        let after = try #require(Self.cpuTicks(thread: tid))
        // Clock ticks are 10 ms: a loop spinning all along would have used about 50.
        #expect(after - before <= 10, "the idle loop used \(after - before) ticks of CPU in 500 ms")

    }

    /// User plus system CPU time of one of this process's threads, in clock ticks.
    static func cpuTicks(thread: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/self/task/\(thread)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3 of the file, utime 14 and stime 15.
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    @Test func shuttingTheGroupDownFailsTransfersInFlight() async throws {
        let release = DispatchSemaphore(value: 0)
        let upstream = try TestHTTPServer { _, _ in
            // Never answers while the test runs.
            _ = release.wait(timeout: .now() + 120)
        }
        defer {
            release.signal()
            upstream.stop()
        }
        let group = EventLoopGroup(threads: 1)
        let client = HTTPClient(group: group)
        let pending = Task { try await client.execute(HTTPClientRequest(url: upstream.url("/hang"))) }
        #expect(await eventually(timeout: .seconds(30)) { client.stats.activeTransfers == 1 })
        group.shutdown()
        await #expect(throws: HTTPClientError.self) { _ = try await pending.value }
        await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPClientRequest(url: upstream.url("/late")))
        }
    }
}
