import Foundation
import KeelCore
import KeelHTTP
import KeelTestSupport
import Synchronization
import Testing

/// Starts a server on a free port with `router`, runs `body`, and shuts the server down.
func withServer<T>(
    _ router: Router,
    configure: (inout HTTPServer.Configuration) -> Void = { _ in },
    _ body: (HTTPServer) async throws -> T
) async throws -> T {
    var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, threads: 2)
    configure(&configuration)
    let (sink, _) = LogSink.memory()
    let server = HTTPServer(configuration: configuration, responder: router.buildResponder(), logger: Logger(label: "test", level: .debug, sink: sink))
    try server.start()
    do {
        let result = try await body(server)
        await server.shutdown(gracePeriod: .seconds(5))
        return result
    } catch {
        await server.shutdown(gracePeriod: .seconds(1))
        throw error
    }
}

/// Polls `condition` until it holds or `timeout` passes; for liveness checks, not for timing.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// Runs blocking socket work off the cooperative pool.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

func parseJSON(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

@Suite("HTTPServer")
struct HTTPServerTests {
    @Test func servesRoutesWithParametersQueryAndRequestID() async throws {
        var router = Router()
        router.get("/v1/models/{id}") { request, context in
            .json("{\"id\":\(JSONString.quote(context.parameters["id"] ?? "")),\"q\":\(JSONString.quote(request.queryValue("q") ?? "")),\"route\":\(JSONString.quote(context.route ?? ""))}")
        }
        try await withServer(router) { server in
            let port = server.port
            try await blocking {
                let c = try RawHTTPConnection(port: port)
                let r = try c.request("GET", "/v1/models/gpt-4o?q=a%20b")
                #expect(r.status == 200)
                #expect(r.bodyText == #"{"id":"gpt-4o","q":"a b","route":"/v1/models/{id}"}"#)
                let id = try #require(r.header("x-request-id"))
                #expect(id.hasPrefix("req_") && id.count == 28)
                // Propagated when the client sends a sane one; replaced when it does not.
                let r2 = try c.request("GET", "/v1/models/x", headers: [("x-request-id", "client-abc.123")])
                #expect(r2.header("x-request-id") == "client-abc.123")
                let r3 = try c.request("GET", "/v1/models/x", headers: [("x-request-id", "bad id with spaces")])
                let replaced = try #require(r3.header("x-request-id"))
                // `req_`, 12 hex digits fixed per process, then a 12-digit counter.
                let hex = Set("0123456789abcdef")
                for generated in [id, replaced] {
                    #expect(generated.hasPrefix("req_") && generated.count == 28 && generated.dropFirst(4).allSatisfy(hex.contains))
                }
                #expect(id.prefix(16) == replaced.prefix(16))
                #expect(UInt64(replaced.suffix(12), radix: 16)! > UInt64(id.suffix(12), radix: 16)!)
            }
        }
    }

    @Test func unknownRouteIs404JSONAndWrongMethodIs405() async throws {
        var router = Router()
        router.get("/healthz") { _, _ in .json("{}") }
        router.post("/v1/messages", errorFormat: .anthropic) { _, _ in throw HTTPError(400, "bad thing") }
        try await withServer(router) { server in
            let port = server.port
            try await blocking {
                let c = try RawHTTPConnection(port: port)
                let r = try c.request("GET", "/nope")
                #expect(r.status == 404)
                #expect(r.header("content-type") == "application/json")
                let error = try #require(try parseJSON(r.body)["error"] as? [String: Any])
                #expect(error["type"] as? String == "not_found_error")
                #expect(error["message"] as? String != nil)
                #expect(error.keys.contains("param") && error.keys.contains("code"))

                // HEAD is answered by the GET route, without a body.
                try c.sendRequest("HEAD", "/healthz")
                let head = try c.readHead()
                #expect(head.status == 200)
                #expect(head.headers.contains { $0.name.lowercased() == "content-length" && $0.value == "2" })

                let r405 = try c.request("DELETE", "/healthz")
                #expect(r405.status == 405)
                #expect(r405.header("allow") == "GET")

                let anthropic = try c.request("POST", "/v1/messages", body: Array("{}".utf8))
                #expect(anthropic.status == 400)
                let json = try parseJSON(anthropic.body)
                #expect(json["type"] as? String == "error")
                #expect((json["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
            }
        }
    }

    @Test func thrownUnknownErrorsBecomeOpaque500s() async throws {
        struct Secretive: Error { var detail = "sk-live-secret" }
        var router = Router()
        router.get("/boom") { _, _ in throw Secretive() }
        try await withServer(router) { server in
            let port = server.port
            try await blocking {
                let r = try RawHTTPConnection(port: port).request("GET", "/boom")
                #expect(r.status == 500)
                #expect(!r.bodyText.contains("sk-live-secret"))
                #expect(r.bodyText.contains("server_error"))
            }
        }
    }

    @Test func bodiesOverTheLimitGet413() async throws {
        var router = Router()
        router.post("/echo") { request, _ in .json(bytes: request.body) }
        try await withServer(router, configure: { $0.maxBodyBytes = 1000 }) { server in
            let port = server.port
            try await blocking {
                // Declared too large: refused before the body is read.
                let c = try RawHTTPConnection(port: port)
                let r = try c.request("POST", "/echo", body: [UInt8](repeating: 0x61, count: 5000))
                #expect(r.status == 413)
                let error = try #require(try parseJSON(r.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == "request_too_large")

                // Chunked, so only counting finds it.
                let c2 = try RawHTTPConnection(port: port)
                var raw = "POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
                for _ in 0..<3 { raw += "258\r\n" + String(repeating: "b", count: 600) + "\r\n" }
                raw += "0\r\n\r\n"
                try c2.send(raw)
                #expect(try c2.readResponse().status == 413)

                // At the limit is fine.
                let ok = try RawHTTPConnection(port: port).request("POST", "/echo", body: [UInt8](repeating: 0x62, count: 1000))
                #expect(ok.status == 200)
                #expect(ok.body.count == 1000)
            }
        }
    }

    @Test func malformedRequestsGet400AndTheServerKeepsServing() async throws {
        var router = Router()
        router.get("/healthz") { _, _ in .json("{\"status\":\"ok\"}") }
        try await withServer(router) { server in
            let port = server.port
            try await blocking {
                for garbage in ["GARBAGE\r\n\r\n", "GET /healthz HTTP/1.1\r\nbad header line\r\n\r\n", "GET /healthz HTTP/9.9\r\nhost: x\r\n\r\n", "\u{1}\u{2}\u{3}\r\n\r\n"] {
                    let c = try RawHTTPConnection(port: port)
                    c.setReadTimeout(seconds: 5)
                    try c.send(garbage)
                    let status = (try? c.readResponse().status) ?? 0
                    #expect(status == 400 || status == 505 || status == 0, "\(garbage.debugDescription) → \(status)")
                }
                #expect(try RawHTTPConnection(port: port).request("GET", "/healthz").status == 200)
            }
        }
    }

    @Test func keepAliveServesManyRequestsOnOneConnection() async throws {
        var router = Router()
        router.get("/n/{i}") { _, context in
            try await Task.sleep(for: .milliseconds(1))
            return .json("{\"i\":\(context.parameters["i"]!)}")
        }
        try await withServer(router) { server in
            let port = server.port
            try await blocking {
                let c = try RawHTTPConnection(port: port)
                for i in 0..<20 {
                    let r = try c.request("GET", "/n/\(i)")
                    #expect(r.status == 200 && r.bodyText == "{\"i\":\(i)}")
                }
            }
        }
    }

    @Test func concurrentSuspendingHandlersAllAnswer() async throws {
        var router = Router()
        router.post("/echo") { request, _ in
            try await Task.sleep(for: .milliseconds(Int.random(in: 1...20)))
            return .json(bytes: request.body)
        }
        try await withServer(router) { server in
            let port = server.port
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<64 {
                    group.addTask {
                        try await blocking {
                            let body = Array("{\"n\":\(i)}".utf8)
                            let r = try RawHTTPConnection(port: port).request("POST", "/echo", body: body)
                            return r.status == 200 && r.body == body
                        }
                    }
                }
                var ok = 0
                for try await result in group where result { ok += 1 }
                #expect(ok == 64)
            }
        }
    }

    @Test func streamsServerSentEventsToASlowReaderWithBackPressure() async throws {
        let produced = Locked<Int>(0)
        let finished = Locked<Bool>(false)
        let chunk = [UInt8](repeating: 0x78, count: 64 * 1024)
        let total = 64 * 1024 * 1024
        var router = Router()
        router.get("/stream") { _, _ in
            .eventStream { writer in
                var sent = 0
                while sent < total {
                    try await writer.write(chunk)
                    sent += chunk.count
                    produced.value = sent
                }
                finished.value = true
            }
        }
        try await withServer(router) { server in
            let c = try RawHTTPConnection(port: server.port, receiveBuffer: 16 * 1024)
            c.setReadTimeout(seconds: 10)
            try c.sendRequest("GET", "/stream")
            let head = try await blocking { try c.readHead() }
            #expect(head.status == 200)
            #expect(head.headers.contains { $0.name == "content-type" && $0.value.hasPrefix("text/event-stream") })
            // Not reading: the producer must stall far below the total (socket buffers + 64 KiB).
            try await Task.sleep(for: .milliseconds(500))
            let stalledAt = produced.value
            #expect(stalledAt < total / 4, "producer ran ahead to \(stalledAt) bytes")
            #expect(!finished.value)
            // Draining the stream lets the producer finish, and every byte arrives.
            let received = try await blocking { () -> Int in
                var n = 0
                while let piece = try c.readChunk() { n += piece.count }
                return n
            }
            #expect(received == total)
            #expect(finished.value)
        }
    }

    @Test func sseEventsArriveIncrementally() async throws {
        let gate = Locked<CheckedContinuation<Void, Never>?>(nil)
        var router = Router()
        router.get("/events") { _, _ in
            .eventStream { writer in
                try await writer.write(event: ServerSentEvent(event: "first", data: "one\ntwo"))
                await withCheckedContinuation { c in gate.withLock { $0 = c } }
                try await writer.write(event: ServerSentEvent(data: "[DONE]"))
            }
        }
        try await withServer(router) { server in
            let c = try RawHTTPConnection(port: server.port)
            c.setReadTimeout(seconds: 10)
            try c.sendRequest("GET", "/events")
            let first = try await blocking { () -> [UInt8]? in
                _ = try c.readHead()
                return try c.readChunk()
            }
            #expect(first.map { String(decoding: $0, as: UTF8.self) } == "event: first\ndata: one\ndata: two\n\n")
            #expect(await eventually { gate.withLock { $0 != nil } })
            gate.withLock { $0?.resume(); $0 = nil }
            let rest = try await blocking { () -> String in
                var s = ""
                while let piece = try c.readChunk() { s += String(decoding: piece, as: UTF8.self) }
                return s
            }
            #expect(rest == "data: [DONE]\n\n")
        }
    }

    @Test func clientDisconnectCancelsAWaitingHandler() async throws {
        let cancelled = Locked<Bool>(false)
        let started = Locked<Bool>(false)
        var router = Router()
        router.get("/wait") { _, _ in
            started.value = true
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                cancelled.value = true
                throw error
            }
            return .json("{}")
        }
        try await withServer(router) { server in
            let c = try RawHTTPConnection(port: server.port)
            try c.sendRequest("GET", "/wait")
            #expect(await eventually { started.value })
            c.close()
            #expect(await eventually { cancelled.value })
            #expect(await eventually { server.activeRequests == 0 })
        }
    }

    @Test func clientDisconnectCancelsAStreamingProducer() async throws {
        let stopped = Locked<Bool>(false)
        var router = Router()
        router.get("/ticks") { _, _ in
            .eventStream { writer in
                do {
                    while true {
                        try await writer.write(event: ServerSentEvent(data: "tick"))
                        try await Task.sleep(for: .milliseconds(20))
                    }
                } catch {
                    stopped.value = true
                    throw error
                }
            }
        }
        try await withServer(router) { server in
            let c = try RawHTTPConnection(port: server.port)
            c.setReadTimeout(seconds: 10)
            try c.sendRequest("GET", "/ticks")
            _ = try await blocking { try c.readHead() }
            c.close(reset: true)
            #expect(await eventually { stopped.value })
            #expect(await eventually { server.activeRequests == 0 })
        }
    }

    @Test func gracefulShutdownLetsInFlightRequestsFinish() async throws {
        // The slow handler answers only once the server is draining, whatever the machine's load.
        let draining = Locked<Bool>(false)
        var router = Router()
        router.get("/slow") { _, _ in
            while !draining.value { try await Task.sleep(for: .milliseconds(5)) }
            return .json("{\"done\":true}")
        }
        router.get("/stream") { _, _ in
            .eventStream { writer in
                for i in 0..<5 {
                    try await writer.write(event: ServerSentEvent(data: "\(i)"))
                    // The stream, too, is still in flight when the drain starts.
                    if i == 0 {
                        while !draining.value { try await Task.sleep(for: .milliseconds(5)) }
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
        let (sink, _) = LogSink.memory()
        let server = HTTPServer(configuration: .init(port: 0, threads: 2), responder: router.buildResponder(), logger: Logger(label: "t", sink: sink))
        try server.start()
        let port = server.port
        let slow = try RawHTTPConnection(port: port)
        let stream = try RawHTTPConnection(port: port)
        try slow.sendRequest("GET", "/slow")
        try stream.sendRequest("GET", "/stream")
        #expect(await eventually { server.activeRequests == 2 })
        async let stop: Void = server.shutdown(gracePeriod: .seconds(10))
        #expect(await eventually { server.isDraining })
        draining.value = true
        let r = try await blocking { try slow.readResponse() }
        let s = try await blocking { try stream.readResponse() }
        await stop
        #expect(r.status == 200 && r.bodyText == "{\"done\":true}")
        #expect(r.header("connection")?.lowercased() == "close")
        #expect(s.bodyText == (0..<5).map { "data: \($0)\n\n" }.joined())
        // No longer accepting.
        #expect(throws: (any Error).self) { try RawHTTPConnection(port: port).request("GET", "/slow") }
    }

    @Test func shutdownCancelsRequestsThatOutliveTheGracePeriod() async throws {
        let cancelled = Locked<Bool>(false)
        var router = Router()
        router.get("/forever") { _, _ in
            do { try await Task.sleep(for: .seconds(120)) } catch { cancelled.value = true; throw error }
            return .json("{}")
        }
        let (sink, _) = LogSink.memory()
        let server = HTTPServer(configuration: .init(port: 0, threads: 2), responder: router.buildResponder(), logger: Logger(label: "t", sink: sink))
        try server.start()
        let c = try RawHTTPConnection(port: server.port)
        try c.sendRequest("GET", "/forever")
        #expect(await eventually { server.activeRequests == 1 })
        await server.shutdown(gracePeriod: .milliseconds(200))
        #expect(cancelled.value)
        #expect(server.activeRequests == 0)
    }

    @Test func idleConnectionsTimeOut() async throws {
        var router = Router()
        router.get("/healthz") { _, _ in .json("{}") }
        try await withServer(router, configure: { $0.idleTimeoutSeconds = 1 }) { server in
            let c = try RawHTTPConnection(port: server.port)
            c.setReadTimeout(seconds: 10)
            #expect(try await blocking { try c.request("GET", "/healthz").status } == 200)
            let closed = try await blocking { c.isClosedByPeer() }
            #expect(closed)
        }
    }

    @Test func connectionLimitHoldsExtraConnectionsBack() async throws {
        var router = Router()
        router.get("/healthz") { _, _ in .json("{}") }
        try await withServer(router, configure: { $0.maxConnections = 2; $0.threads = 1 }) { server in
            let port = server.port
            try await blocking {
                let a = try RawHTTPConnection(port: port)
                let b = try RawHTTPConnection(port: port)
                #expect(try a.request("GET", "/healthz").status == 200)
                #expect(try b.request("GET", "/healthz").status == 200)
                // A third connection waits (it is not accepted) while the limit is reached…
                let c = try RawHTTPConnection(port: port)
                c.setReadTimeout(seconds: 1)
                try c.sendRequest("GET", "/healthz")
                #expect(throws: (any Error).self) { _ = try c.readResponse() }
                // …and is served as soon as a slot frees up.
                a.close()
                c.setReadTimeout(seconds: 30)
                #expect(try c.readResponse().status == 200)
            }
        }
    }
}
