#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KeelCore
import KeelHTTP
import KeelTestSupport
import Synchronization
import Testing

/// Runs `operation` in an unstructured task and waits for it at most `timeout`; nil when it did not
/// finish in time. Unlike a task group, this returns even when the operation is stuck in a
/// non-cancellable wait, so a hang fails the test instead of blocking the run.
func finishes<T: Sendable>(within timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T? {
    let once = Locked<Bool>(false)
    let result: Result<T, any Error>? = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>?, Never>) in
        func deliver(_ value: Result<T, any Error>?) {
            let first = once.withLock { done -> Bool in
                defer { done = true }
                return !done
            }
            if first { continuation.resume(returning: value) }
        }
        Task {
            do { deliver(.success(try await operation())) } catch { deliver(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: timeout)
            deliver(nil)
        }
    }
    return try result?.get()
}

/// Weak references to objects, to check they are all freed.
final class WeakSet: Sendable {
    private struct Box: @unchecked Sendable {
        // Only read under the lock; the referent is a Sendable writer.
        weak var object: AnyObject?
    }
    private let boxes = Mutex<[Box]>([])

    func insert(_ object: AnyObject) { boxes.withLock { $0.append(Box(object: object)) } }
    var count: Int { boxes.withLock { $0.count } }
    var alive: Int { boxes.withLock { $0.reduce(0) { $0 + ($1.object == nil ? 0 : 1) } } }
}

/// Whether a TCP connection to `127.0.0.1:port` is accepted. Closes its socket exactly once, so it is
/// safe to call against a port that refuses (constructing a `RawHTTPConnection` that fails to connect
/// closes its descriptor twice).
func probeConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return rc == 0
}

/// Reads what the peer sends until `terminator` has been seen or the read times out.
func readUntil(_ c: RawHTTPConnection, _ terminator: String) -> String {
    var text = ""
    while !text.contains(terminator) {
        guard let more = try? c.readSome(), !more.isEmpty else { break }
        text += String(decoding: more, as: UTF8.self)
    }
    return text
}

@Suite("HTTPServer stress")
struct HTTPServerStressTests {
    // MARK: Protocol edge cases

    @Test func headResponsesCarryNoBodyAndKeepTheConnectionUsable() async throws {
        var router = Router()
        router.on("HEAD", "/bytes") { _, _ in .json("{\"a\":1}") }
        router.get("/after") { _, _ in .json("{\"after\":true}") }
        try await withServer(router) { server in
            let port = server.port
            let (head, next) = try await blocking { () -> ((status: Int, headers: [(name: String, value: String)]), RawHTTPConnection.Response) in
                let c = try RawHTTPConnection(port: port)
                c.setReadTimeout(seconds: 5)
                try c.sendRequest("HEAD", "/bytes")
                let head = try c.readHead()
                // The next response must start right away: no body bytes in between.
                return (head, try c.request("GET", "/after"))
            }
            #expect(head.status == 200)
            #expect(head.headers.first { $0.name.lowercased() == "content-length" }?.value == "7")
            #expect(next.status == 200 && next.bodyText == "{\"after\":true}")
        }
    }

    @Test
    func headAnsweredWithAStreamSendsNoChunkTerminator() async throws {
        let producerEnded = Locked<Bool>(false)
        var router = Router()
        router.on("HEAD", "/stream") { _, _ in
            .eventStream { writer in
                defer { producerEnded.value = true }
                for _ in 0..<1000 { try await writer.write(event: ServerSentEvent(data: "x")) }
            }
        }
        router.get("/after") { _, _ in .json("{\"after\":true}") }
        try await withServer(router) { server in
            let port = server.port
            let (status, next) = try await blocking { () -> (Int, String) in
                let c = try RawHTTPConnection(port: port)
                c.setReadTimeout(seconds: 2)
                try c.sendRequest("HEAD", "/stream")
                let status = try c.readHead().status
                try c.sendRequest("GET", "/after")
                // Whatever arrives next must be the second response's status line.
                return (status, readUntil(c, "\r\n"))
            }
            #expect(status == 200)
            #expect(next.hasPrefix("HTTP/1.1 200"), "after the HEAD response: \(next.debugDescription)")
            #expect(await eventually { producerEnded.value })
            #expect(await eventually { server.activeRequests == 0 })
        }
    }

    @Test func noContentAndNotModifiedSendNoBodyEvenWhenTheHandlerGivesOne() async throws {
        var router = Router()
        router.get("/204") { _, _ in Response(status: 204, body: .bytes(Array("oops".utf8))) }
        router.get("/304") { _, _ in Response(status: 304, body: .bytes(Array("oops".utf8))) }
        router.get("/204-stream") { _, _ in
            Response(status: 204, body: .stream { writer in try await writer.write("oops") })
        }
        router.get("/after") { _, _ in .json("{\"after\":true}") }
        try await withServer(router) { server in
            let port = server.port
            try await blocking {
                for path in ["/204", "/304", "/204-stream"] {
                    let c = try RawHTTPConnection(port: port)
                    c.setReadTimeout(seconds: 5)
                    try c.sendRequest("GET", path)
                    let head = try c.readHead()
                    #expect(head.status == Int(path.dropFirst().prefix(3)))
                    if path.hasPrefix("/204") {
                        #expect(!head.headers.contains { $0.name.lowercased() == "content-length" || $0.name.lowercased() == "transfer-encoding" }, "\(path): \(head.headers)")
                    }
                    let next = try c.request("GET", "/after")
                    #expect(next.status == 200 && next.bodyText == "{\"after\":true}", "\(path) then /after: \(next.status) \(next.bodyText)")
                }
            }
        }
    }

    @Test func pipelinedRequestsBehindASuspendedOneAreAnsweredInOrder() async throws {
        var router = Router()
        router.get("/slow/{i}") { _, context in
            try await Task.sleep(for: .milliseconds(30))
            return .json("{\"slow\":\(context.parameters["i"]!)}")
        }
        router.get("/fast/{i}") { _, context in .json("{\"fast\":\(context.parameters["i"]!)}") }
        router.get("/stream/{i}") { _, context in
            let i = context.parameters["i"]!
            return .eventStream { writer in
                for k in 0..<3 {
                    try await Task.sleep(for: .milliseconds(5))
                    try await writer.write(event: ServerSentEvent(data: "\(i).\(k)"))
                }
            }
        }
        try await withServer(router) { server in
            let port = server.port
            try await blocking {
                let c = try RawHTTPConnection(port: port)
                c.setReadTimeout(seconds: 5)
                var raw = ""
                var expected: [String] = []
                for i in 0..<6 {
                    switch i % 3 {
                    case 0:
                        raw += "GET /slow/\(i) HTTP/1.1\r\nhost: x\r\n\r\n"
                        expected.append("{\"slow\":\(i)}")
                    case 1:
                        raw += "GET /fast/\(i) HTTP/1.1\r\nhost: x\r\n\r\n"
                        expected.append("{\"fast\":\(i)}")
                    default:
                        raw += "GET /stream/\(i) HTTP/1.1\r\nhost: x\r\n\r\n"
                        expected.append((0..<3).map { "data: \(i).\($0)\n\n" }.joined())
                    }
                }
                try c.send(raw)
                for body in expected {
                    let r = try c.readResponse()
                    #expect(r.status == 200 && r.bodyText == body)
                }
            }
            #expect(await eventually { server.activeRequests == 0 })
        }
    }

    @Test func percentEncodedPathsAndQueriesAreDecoded() async throws {
        var router = Router()
        router.get("/p/{x}") { request, context in .text((context.parameters["x"] ?? "") + "|" + (request.queryValue("q") ?? "")) }
        try await withServer(router) { server in
            let port = server.port
            let bodies = try await blocking { () -> [String] in
                let c = try RawHTTPConnection(port: port)
                c.setReadTimeout(seconds: 5)
                return try ["/p/a%20b?q=c+d%2Be", "/p/%C3%A9?q=%26", "/p/%ZZ?q=%"].map { try c.request("GET", $0).bodyText }
            }
            #expect(bodies == ["a b|c d+e", "é|&", "%ZZ|%"])
        }
    }

    @Test
    func percentEncodedNULDoesNotCutThePathShort() async throws {
        var router = Router()
        router.get("/healthz") { _, _ in .text("ok") }
        try await withServer(router) { server in
            let port = server.port
            let status = try await blocking { () -> Int in
                let c = try RawHTTPConnection(port: port)
                c.setReadTimeout(seconds: 5)
                return (try? c.request("GET", "/healthz%00.png"))?.status ?? 0
            }
            #expect(status != 200, "/healthz%00.png was answered as /healthz")
        }
    }

    @Test func manyQueryParametersAndOversizedHeadsAreHandled() async throws {
        var router = Router()
        router.get("/q") { request, _ in .text("\(request.query.count) \(request.queryValue("k299") ?? "-")") }
        try await withServer(router) { server in
            let port = server.port
            let (many, huge, long, after) = try await blocking { () -> (String, Int, Int, String) in
                let c = try RawHTTPConnection(port: port)
                c.setReadTimeout(seconds: 5)
                let many = try c.request("GET", "/q?" + (0..<300).map { "k\($0)=v\($0)" }.joined(separator: "&")).bodyText
                // A head larger than the connection memory is refused…
                let big = try RawHTTPConnection(port: port)
                big.setReadTimeout(seconds: 5)
                try? big.sendRequest("GET", "/q", headers: [("x-huge", String(repeating: "a", count: 200 * 1024))])
                let huge = (try? big.readResponse().status) ?? 0
                let longURL = try RawHTTPConnection(port: port)
                longURL.setReadTimeout(seconds: 5)
                try? longURL.sendRequest("GET", "/q?" + String(repeating: "z", count: 200 * 1024))
                let long = (try? longURL.readResponse().status) ?? 0
                // …and the server keeps serving.
                return (many, huge, long, try RawHTTPConnection(port: port).request("GET", "/q?a=1").bodyText)
            }
            #expect(many == "300 v299")
            #expect(huge == 431)
            #expect(long == 414)
            #expect(after == "1 -")
            #expect(await eventually { server.activeRequests == 0 })
        }
    }

    @Test(.disabled("libmicrohttpd 0.9.75: when the query arguments exhaust the connection's memory pool it logs a 431 but neither answers nor closes; the client waits for the idle timeout"))
    func queryArgumentsThatExhaustConnectionMemoryGetAnAnswer() async throws {
        var router = Router()
        router.get("/q") { request, _ in .text("\(request.query.count)") }
        try await withServer(router) { server in
            let port = server.port
            let outcome = try await blocking { () -> String in
                let c = try RawHTTPConnection(port: port)
                c.setReadTimeout(seconds: 3)
                try c.sendRequest("GET", "/q?" + (0..<1000).map { "k\($0)=v\($0)" }.joined(separator: "&"))
                do { return "status \(try c.readResponse().status)" } catch { return "\(error)" }
            }
            #expect(outcome.hasPrefix("status ") || outcome.contains("closed"), "no answer and no close: \(outcome)")
        }
    }

    // MARK: Storms

    @Test func stormOfMixedRequestsWithClientResetsLeavesNothingBehind() async throws {
        let harness = StormHarness()
        try await withServer(harness.router) { server in
            let port = server.port
            let outcomes = try await withThrowingTaskGroup(of: StormOutcome.self) { group in
                for client in 0..<32 {
                    group.addTask { try await blocking { StormHarness.runClient(port: port, seed: UInt64(client) &+ 1, operations: 63) } }
                }
                var all: [StormOutcome] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            let ok = outcomes.reduce(0) { $0 + $1.answered }
            let faults = outcomes.reduce(0) { $0 + $1.faults }
            let problems = outcomes.flatMap(\.problems)
            #expect(ok + faults == 32 * 63)
            #expect(faults > 0)
            #expect(problems.isEmpty, "\(problems.prefix(5))")
            // Nothing is left behind: no exchange, no handler, no producer, no writer object.
            #expect(await eventually(timeout: .seconds(30)) { server.activeRequests == 0 }, "active: \(server.activeRequestStates.prefix(8))")
            #expect(await eventually { harness.liveHandlers.value == 0 }, "live handlers: \(harness.liveHandlers.value)")
            #expect(harness.writers.count > 0)
            #expect(await eventually { harness.writers.alive == 0 }, "writers alive: \(harness.writers.alive) of \(harness.writers.count)")
        }
    }

    @Test func manyConcurrentStreamsToSlowReadersDeliverEveryByteInOrder() async throws {
        let writers = WeakSet()
        let streams = 24
        let writes = 128
        let writeSize = 8 * 1024
        var router = Router()
        router.get("/bulk") { _, _ in
            .eventStream { writer in
                writers.insert(writer as AnyObject)
                for k in 0..<writes {
                    try await writer.write([UInt8](repeating: UInt8(k % 251), count: writeSize))
                }
            }
        }
        try await withServer(router, configure: { $0.streamBufferBytes = 16 * 1024 }) { server in
            let port = server.port
            let results = try await withThrowingTaskGroup(of: String?.self) { group in
                for i in 0..<streams {
                    group.addTask {
                        try await blocking { () -> String? in
                            let c = try RawHTTPConnection(port: port, receiveBuffer: 8 * 1024)
                            c.setReadTimeout(seconds: 10)
                            try c.sendRequest("GET", "/bulk")
                            guard try c.readHead().status == 200 else { return "stream \(i): bad status" }
                            var position = 0
                            var pieces = 0
                            while let piece = try c.readChunk() {
                                for byte in piece {
                                    if byte != UInt8((position / writeSize) % 251) { return "stream \(i): wrong byte at \(position)" }
                                    position += 1
                                }
                                pieces += 1
                                // A slow reader: pause now and then so the producer hits back-pressure.
                                if pieces % 16 == i % 16 { usleep(2000) }
                            }
                            return position == writes * writeSize ? nil : "stream \(i): \(position) bytes"
                        }
                    }
                }
                var problems: [String] = []
                for try await r in group { if let r { problems.append(r) } }
                return problems
            }
            #expect(results.isEmpty, "\(results)")
            #expect(await eventually { server.activeRequests == 0 })
            #expect(await eventually { writers.alive == 0 }, "writers alive: \(writers.alive)")
        }
    }

    @Test func twoIdenticalStormsDoNotGrowMemoryUnboundedly() async throws {
        let harness = StormHarness()
        try await withServer(harness.router) { server in
            let port = server.port
            func storm() async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for client in 0..<16 {
                        group.addTask { _ = try await blocking { StormHarness.runClient(port: port, seed: UInt64(client) &+ 100, operations: 40) } }
                    }
                    try await group.waitForAll()
                }
                _ = await eventually { server.activeRequests == 0 && harness.liveHandlers.value == 0 }
            }
            try await storm()
            let afterFirst = residentBytes()
            try await storm()
            try await storm()
            let afterThird = residentBytes()
            // Loose: the first storm warms every allocator pool; later identical storms must not keep
            // adding what a leak of every exchange (buffers, bodies, stream chunks) would add.
            #expect(afterThird < afterFirst + 64 * 1024 * 1024, "RSS \(afterFirst) → \(afterThird)")
            #expect(await eventually { harness.writers.alive == 0 })
        }
    }

    @Test func shutdownDuringAStormCompletesAndCancelsEverything() async throws {
        let harness = StormHarness()
        let (sink, _) = LogSink.memory()
        let server = HTTPServer(configuration: .init(port: 0, threads: 2), responder: harness.router.buildResponder(), logger: Logger(label: "t", sink: sink))
        try server.start()
        let port = server.port
        let stop = Locked<Bool>(false)
        let clients = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for client in 0..<16 {
                    group.addTask {
                        try await blocking { StormHarness.runUntilRefused(port: port, seed: UInt64(client) &+ 500, stop: stop, accepting: { !server.isDraining }) }
                    }
                }
                var total = 0
                for try await n in group { total += n }
                return total
            }
        }
        // The storm is under way (a liveness precondition, generous for a loaded machine).
        #expect(await eventually(timeout: .seconds(30)) { harness.started.value > 100 })
        let stopped: Void? = try await finishes(within: .seconds(15)) {
            await server.shutdown(gracePeriod: .milliseconds(300))
        }
        #expect(stopped != nil, "shutdown did not complete")
        stop.value = true
        let served = try await finishes(within: .seconds(15)) { try await clients.value }
        #expect(served != nil, "clients did not finish after shutdown")
        #expect(server.activeRequests == 0)
        #expect(await eventually { harness.liveHandlers.value == 0 }, "live handlers: \(harness.liveHandlers.value)")
        #expect(await eventually { harness.writers.alive == 0 }, "writers alive: \(harness.writers.alive)")
        #expect(!probeConnect(port: port))
    }
}

// MARK: - Storm harness

/// What one storm client saw.
struct StormOutcome: Sendable {
    var answered = 0
    var faults = 0
    var problems: [String] = []
}

/// Routes for storms (immediate, suspending, streaming and slow handlers) with counters that show
/// whether anything outlives its request.
final class StormHarness: Sendable {
    let liveHandlers = Locked<Int>(0)
    let started = Locked<Int>(0)
    let writers = WeakSet()

    var router: Router {
        var router = Router()
        let live = liveHandlers
        let started = started
        let writers = writers
        @Sendable func enter() {
            live.withLock { $0 += 1 }
            started.withLock { $0 += 1 }
        }
        @Sendable func leave() { live.withLock { $0 -= 1 } }
        router.get("/fast") { _, _ in
            enter()
            defer { leave() }
            return .json("{\"fast\":true}")
        }
        router.post("/echo") { request, _ in
            enter()
            defer { leave() }
            if request.body.count % 3 != 0 { try await Task.sleep(for: .microseconds(request.body.count % 2000)) }
            return .json(bytes: request.body)
        }
        router.get("/slow") { _, _ in
            enter()
            defer { leave() }
            try await Task.sleep(for: .milliseconds(150))
            return .json("{\"slow\":true}")
        }
        router.get("/stream/{n}") { _, context in
            enter()
            defer { leave() }
            let n = Int(context.parameters["n"] ?? "") ?? 0
            return .eventStream { writer in
                enter()
                defer { leave() }
                writers.insert(writer as AnyObject)
                for k in 0..<n {
                    if k % 7 == 3 { await Task.yield() }
                    if k % 50 == 49 { try await Task.sleep(for: .microseconds(200)) }
                    try await writer.write(event: ServerSentEvent(data: "\(k) " + String(repeating: "s", count: k % 300)))
                }
            }
        }
        return router
    }

    static func expectedStream(_ n: Int) -> String {
        (0..<n).map { "data: \($0) " + String(repeating: "s", count: $0 % 300) + "\n\n" }.joined()
    }

    /// One client thread: `operations` requests over a keep-alive connection, replaced after each fault.
    static func runClient(port: Int, seed: UInt64, operations: Int) -> StormOutcome {
        var rng = SeededGenerator(seed: seed)
        var outcome = StormOutcome()
        var connection: RawHTTPConnection?
        func fresh() throws -> RawHTTPConnection {
            if let connection { return connection }
            let c = try RawHTTPConnection(port: port)
            c.setReadTimeout(seconds: 10)
            connection = c
            return c
        }
        for op in 0..<operations {
            let roll = Int.random(in: 0..<100, using: &rng)
            do {
                let c = try fresh()
                switch roll {
                case 0..<30:
                    let r = try c.request("GET", "/fast")
                    if r.status != 200 || r.bodyText != "{\"fast\":true}" { outcome.problems.append("fast: \(r.status) \(r.bodyText)") }
                    outcome.answered += 1
                case 30..<55:
                    let body = (0..<Int.random(in: 0..<20_000, using: &rng)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ op) }
                    let r = try c.request("POST", "/echo", body: body)
                    if r.status != 200 || r.body != body { outcome.problems.append("echo: \(r.status) \(r.body.count)/\(body.count)") }
                    outcome.answered += 1
                case 55..<78:
                    let n = Int.random(in: 0...120, using: &rng)
                    let r = try c.request("GET", "/stream/\(n)")
                    if r.status != 200 || r.bodyText != expectedStream(n) { outcome.problems.append("stream \(n): \(r.status) \(r.body.count)") }
                    outcome.answered += 1
                case 78..<86:
                    // Reset mid-stream, after part of the body.
                    try c.sendRequest("GET", "/stream/5000")
                    _ = try c.readHead()
                    for _ in 0..<Int.random(in: 0...5, using: &rng) { _ = try c.readChunk() }
                    c.close(reset: true)
                    connection = nil
                    outcome.faults += 1
                case 86..<93:
                    // Reset while the handler is waiting (connection suspended).
                    try c.sendRequest("GET", "/slow")
                    usleep(UInt32.random(in: 0...3000, using: &rng))
                    c.close(reset: Bool.random(using: &rng))
                    connection = nil
                    outcome.faults += 1
                default:
                    // Reset mid-request: the body never completes.
                    try c.send("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\n\r\n" + String(repeating: "p", count: Int.random(in: 0..<4000, using: &rng)))
                    if Bool.random(using: &rng) { usleep(500) }
                    c.close(reset: true)
                    connection = nil
                    outcome.faults += 1
                }
            } catch {
                outcome.problems.append("op \(op) roll \(roll): \(error)")
                connection?.close(reset: true)
                connection = nil
            }
        }
        return outcome
    }

    /// One client thread that keeps sending until the server stops answering; returns the answers it got.
    /// New connections are made only while `accepting()` says the server is not draining and a probe
    /// connects, so no `RawHTTPConnection` is built against a refusing port.
    static func runUntilRefused(port: Int, seed: UInt64, stop: Locked<Bool>, accepting: @Sendable () -> Bool) -> Int {
        var rng = SeededGenerator(seed: seed)
        var answered = 0
        var connection: RawHTTPConnection?
        while !stop.value {
            do {
                let c: RawHTTPConnection
                if let connection { c = connection } else {
                    guard accepting(), probeConnect(port: port) else { return answered }
                    c = try RawHTTPConnection(port: port)
                    c.setReadTimeout(seconds: 10)
                    connection = c
                }
                let r: RawHTTPConnection.Response
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<4: r = try c.request("GET", "/fast")
                case 4..<6: r = try c.request("POST", "/echo", body: Array(repeating: 0x65, count: Int.random(in: 0..<5000, using: &rng)))
                case 6..<9: r = try c.request("GET", "/stream/\(Int.random(in: 0...400, using: &rng))")
                default: r = try c.request("GET", "/slow")
                }
                if r.status == 200 { answered += 1 }
                if r.header("connection")?.lowercased() == "close" { connection = nil }
            } catch {
                connection?.close()
                connection = nil
                // Refused or closed: the server is going away; try again until told to stop.
                usleep(1000)
            }
        }
        return answered
    }
}

/// The resident set size of this process, in bytes (0 when unknown).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
