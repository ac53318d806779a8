import Foundation
import KeelCore
import KeelTestSupport
import Synchronization
import Testing

@testable import KeelHTTP

/// A value shared between a server handler thread and the test.
private final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
    func update(_ body: (inout Value) -> Void) { storage.withLock { body(&$0) } }
}

/// Runs `body` and returns the `HTTPClientError` it throws (recording an issue if it throws
/// something else or nothing).
private func clientError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> HTTPClientError? {
    do {
        try await body()
        Issue.record("expected an HTTPClientError, got success", sourceLocation: sourceLocation)
    } catch let error as HTTPClientError {
        return error
    } catch {
        Issue.record("expected an HTTPClientError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Reads the body until the iterator throws; returns the bytes read and the error.
private func drainUntilError(_ body: HTTPClientResponse.Body) async -> (bytes: Int, error: HTTPClientError?) {
    var count = 0
    do {
        for try await chunk in body { count += chunk.count }
        Issue.record("the body ended without an error after \(count) bytes")
        return (count, nil)
    } catch let error as HTTPClientError {
        return (count, error)
    } catch {
        Issue.record("unexpected error \(error)")
        return (count, nil)
    }
}

/// Polls `condition` every 10 ms until it holds or 5 seconds pass.
private func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<500 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

@Suite("HTTPClient")
struct HTTPClientTests {
    // MARK: Requests and responses

    @Test("GET sends headers and returns status, headers and body")
    func simpleGet() async throws {
        let received = Shared<TestHTTPServerRequest?>(nil)
        let server = try TestHTTPServer { request, connection in
            received.value = request
            try connection.respond(status: 201, headers: [("X-Reply", "yes"), ("X-Empty", "")], body: "hello")
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        let response = try await client.execute(HTTPClientRequest(
            url: server.url("/v1/models?limit=2"),
            headers: ["X-Request-Id": "abc-123", "Authorization": "Bearer sk-test", "X-Blank": ""]
        ))
        #expect(response.status == 201)
        #expect(response.version == "1.1")
        #expect(response.headers["x-reply"] == "yes")
        #expect(response.headers["X-Empty"] == "")
        let body = try await response.collect(upTo: 1024)
        #expect(String(decoding: body, as: UTF8.self) == "hello")

        let request = try #require(received.value)
        #expect(request.method == "GET")
        #expect(request.target == "/v1/models?limit=2")
        #expect(request.path == "/v1/models")
        #expect(request.headers["x-request-id"] == "abc-123")
        #expect(request.headers["authorization"] == "Bearer sk-test")
        #expect(request.headers["x-blank"] == "")
        #expect(request.headers["accept-encoding"] == nil)
        #expect(request.headers["expect"] == nil)
        #expect(request.body.isEmpty)
    }

    @Test("each request on a reused connection sends exactly its own header fields, many and long or few")
    func headersOfSuccessiveRequests() async throws {
        let received = Shared<[TestHTTPServerRequest]>([])
        let server = try TestHTTPServer { request, connection in
            received.update { $0.append(request) }
            try connection.respond(body: "ok")
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        // Far more header bytes than the first request's list holds, then fewer fields again.
        var many = HTTPHeaders()
        for i in 0..<40 { many.add(name: "X-Field-\(i)", value: String(repeating: "v\(i)", count: 20)) }
        let sizes: [HTTPHeaders] = [["X-One": "1"], many, ["X-Two": "2", "X-Blank": ""]]
        for headers in sizes {
            let response = try await client.execute(HTTPClientRequest(method: "POST", url: server.url("/h"), headers: headers, body: Array("{}".utf8)))
            #expect(try await response.collect(upTo: 16) == Array("ok".utf8))
        }

        let requests = received.value
        try #require(requests.count == 3)
        for (request, sent) in zip(requests, sizes) {
            let custom = request.headers.filter { $0.name.lowercased().hasPrefix("x-") }
            #expect(custom.map { $0.name.lowercased() } == sent.map { $0.name.lowercased() })
            #expect(custom.map { $0.value } == sent.map { $0.value })
            #expect(request.headers["expect"] == nil)
            #expect(request.headers["content-type"] == nil)
        }
    }

    @Test("POST and PATCH send their bodies as given, without Expect or a form content type")
    func postWithBody() async throws {
        let received = Shared<[TestHTTPServerRequest]>([])
        let server = try TestHTTPServer { request, connection in
            received.update { $0.append(request) }
            try connection.respond(headers: [("Content-Type", "application/octet-stream")], body: request.body.reversed())
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        // Large enough that libcurl would ask for 100-continue if allowed to.
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let post = try await client.execute(HTTPClientRequest(
            method: "POST", url: server.url("/v1/chat/completions"),
            headers: ["Content-Type": "application/json"], body: payload
        ))
        #expect(post.status == 200)
        #expect(try await post.collect(upTo: 1 << 20) == Array(payload.reversed()))

        let patch = try await client.execute(HTTPClientRequest(method: "PATCH", url: server.url("/item"), body: Array("abc".utf8)))
        #expect(try await patch.collect(upTo: 1024) == Array("cba".utf8))

        let emptyPost = try await client.execute(HTTPClientRequest(method: "POST", url: server.url("/empty")))
        #expect(try await emptyPost.collect(upTo: 1024).isEmpty)

        let requests = received.value
        try #require(requests.count == 3)
        #expect(requests[0].method == "POST")
        #expect(requests[0].body == payload)
        #expect(requests[0].headers["content-type"] == "application/json")
        #expect(requests[0].headers["content-length"] == "200000")
        #expect(requests[0].headers["expect"] == nil)
        #expect(requests[1].method == "PATCH")
        #expect(requests[1].bodyText == "abc")
        #expect(requests[1].headers["content-type"] == nil)
        #expect(requests[2].method == "POST")
        #expect(requests[2].headers["content-length"] == "0")
        #expect(requests[2].headers["content-type"] == nil)
    }

    @Test("a second request to a plain-http host does not wait for the first one's connection")
    func concurrentPlainHTTPRequestsUseTheirOwnConnections() async throws {
        let release = Shared(false)
        let server = try TestHTTPServer { request, connection in
            if request.path == "/hang" {
                while !release.value { Thread.sleep(forTimeInterval: 0.001) }
            }
            try connection.respond(status: 200, headers: [("Content-Type", "text/plain")], body: request.path)
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let hanging = Task { try await client.fetch(HTTPClientRequest(url: server.url("/hang")), upTo: 64) }
        // The second request completes while the first still waits for its answer (the deadline
        // turns a regression into a failure instead of a hang).
        var fast = HTTPClientRequest(url: server.url("/fast"))
        fast.timeouts = HTTPClientTimeouts(total: .seconds(10))
        let (response, body) = try await client.fetch(fast, upTo: 64)
        #expect(response.status == 200)
        #expect(body == Array("/fast".utf8))
        release.value = true
        let (_, first) = try await hanging.value
        #expect(first == Array("/hang".utf8))
    }

    @Test("HEAD and 204 responses return with an empty body")
    func bodilessResponses() async throws {
        let server = try TestHTTPServer { request, connection in
            if request.method == "HEAD" {
                try connection.writeHead(status: 200, headers: [("Content-Length", "42")])
            } else {
                try connection.writeHead(status: 204)
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        let head = try await client.execute(HTTPClientRequest(method: "HEAD", url: server.url("/")))
        #expect(head.status == 200)
        #expect(head.headers["content-length"] == "42")
        #expect(try await head.collect(upTo: 0).isEmpty)

        let noContent = try await client.execute(HTTPClientRequest(method: "DELETE", url: server.url("/item/1")))
        #expect(noContent.status == 204)
        #expect(try await noContent.collect(upTo: 0).isEmpty)
        #expect(server.acceptedConnections == 1)
    }

    @Test("invalid requests are rejected before anything is sent")
    func invalidRequests() async throws {
        let client = HTTPClient()
        defer { client.shutdown() }
        let injected = await clientError {
            _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/", headers: ["X-Bad": "a\r\nInjected: yes"]))
        }
        #expect(injected?.code == .invalidRequest)
        #expect(injected?.message.contains("Injected") == false)
        let scheme = await clientError { _ = try await client.execute(HTTPClientRequest(url: "file:///etc/passwd")) }
        #expect(scheme?.code == .invalidRequest)
        let method = await clientError { _ = try await client.execute(HTTPClientRequest(method: "GET /x", url: "http://127.0.0.1:1/")) }
        #expect(method?.code == .invalidRequest)
        #expect(client.stats.transfersStarted == 0)
    }

    // MARK: Credentials

    @Test("a proxy password that libcurl quotes in its error message is redacted")
    func proxyCredentialsStayOutOfErrors() async throws {
        // libcurl rejects both proxies while parsing them, quoting the proxy string verbatim.
        for proxy in ["socks9://user:s3cret-pw@127.0.0.1:1", "user:s3cret-pw@127.0.0.1:99999"] {
            let client = HTTPClient(configuration: HTTPClientConfiguration(proxy: .url(proxy)))
            defer { client.shutdown() }
            let error = try #require(await clientError {
                _ = try await client.execute(HTTPClientRequest(url: "http://upstream.invalid/"))
            })
            #expect(error.code == .connectFailed)
            #expect(!String(describing: error).contains("s3cret"), "\(error)")
            #expect(error.message.contains("***@127.0.0.1"), "\(error)")
        }
    }

    @Test("requests, proxies and errors describe themselves without credentials")
    func descriptionsAreRedacted() {
        let request = HTTPClientRequest(
            method: "POST", url: "https://user:pw-secret@api.example/v1/models?key=sk-secret&alt=sse",
            headers: ["Authorization": "Bearer sk-secret", "X-Api-Key": "sk-secret", "X-Trace": "t1"],
            body: Array("{\"api_key\":\"sk-secret\"}".utf8)
        )
        #expect(request.description == "POST https://***@api.example/v1/models?key=***&alt=*** (3 header fields, 23 body bytes)")
        var dumped = ""
        dump(request, to: &dumped)
        let configuration = HTTPClientConfiguration(proxy: .url("http://proxy-user:pw-secret@proxy.example:3128"))
        var dumpedConfiguration = ""
        dump(configuration, to: &dumpedConfiguration)
        for text in [String(describing: request), String(reflecting: request), dumped,
                     String(describing: configuration), String(reflecting: configuration), dumpedConfiguration] {
            #expect(!text.contains("secret"), "\(text)")
        }
        #expect(dumped.contains("X-Trace: t1"))
        #expect(String(describing: configuration.proxy) == "url(http://***@proxy.example:3128)")
        #expect(String(describing: HTTPClientProxy.environment) == "environment")

        let error = HTTPClientError(.connectFailed, "Unsupported proxy syntax in 'a:pw-secret@host:1'; also (http://b:pw-secret@c/x)")
        #expect(error.message == "Unsupported proxy syntax in '***@host:1'; also (http://***@c/x)")
        #expect(HTTPClientError(.other, "no credentials here").message == "no credentials here")
        #expect(URLRedaction.url("http://host/path#frag") == "http://host/path")
        #expect(URLRedaction.url("http://host/p?token&a=1&") == "http://host/p?***&a=***&")
    }

    // MARK: Streaming and back-pressure

    @Test("a chunked response is delivered chunk by chunk as it arrives")
    func streamingChunks() async throws {
        let clientSawFirstChunk = TestHTTPServerEvent()
        let serverWaitedForClient = Shared<Bool?>(nil)
        let server = try TestHTTPServer { _, connection in
            try connection.writeChunkedHead(headers: [("Content-Type", "text/event-stream")])
            try connection.writeChunk("data: first\n\n")
            // The rest is sent only once the client has seen the first chunk.
            serverWaitedForClient.value = clientSawFirstChunk.waitBlocking(timeout: .seconds(30))
            try connection.writeChunk("data: second\n\n")
            try connection.writeChunk("data: third\n\n")
            try connection.finishChunks()
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        let response = try await client.execute(HTTPClientRequest(url: server.url("/stream")))
        #expect(response.headers["content-type"] == "text/event-stream")
        var iterator = response.body.makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first.map { String(decoding: $0, as: UTF8.self) } == "data: first\n\n")
        clientSawFirstChunk.signal()
        var rest: [UInt8] = []
        while let chunk = try await iterator.next() { rest += chunk }
        #expect(String(decoding: rest, as: UTF8.self) == "data: second\n\ndata: third\n\n")
        #expect(serverWaitedForClient.value == true)
        #expect(try await iterator.next() == nil)
    }

    @Test("a slow consumer pauses the transfer instead of buffering the whole body")
    func backPressure() async throws {
        let total = 32 << 20
        let bufferLimit = 64 << 10
        let connection = Shared<TestHTTPServerConnection?>(nil)
        let server = try TestHTTPServer { _, conn in
            connection.value = conn
            try conn.writeHead(headers: [("Content-Length", "\(total)")])
            let block = [UInt8](repeating: 0x61, count: 64 << 10)
            var sent = 0
            while sent < total {
                try conn.write(block)
                sent += block.count
            }
        }
        defer { server.stop() }
        let client = HTTPClient(configuration: HTTPClientConfiguration(maxBufferedBodyBytes: bufferLimit))
        defer { client.shutdown() }

        let response = try await client.execute(HTTPClientRequest(url: server.url("/large")))
        // Without reading, wait until the client has paused and the server can write no more: the
        // kernel buffers are full because the client stopped reading from the socket.
        var lastWritten = -1
        var stableSamples = 0
        for _ in 0..<400 where stableSamples < 4 {
            try await Task.sleep(for: .milliseconds(25))
            let written = connection.value?.bytesWritten ?? 0
            stableSamples = written == lastWritten && response.body.isPaused ? stableSamples + 1 : 0
            lastWritten = written
        }
        #expect(lastWritten < total, "the server wrote the whole body although nobody read it")
        #expect(response.body.isPaused)
        #expect(response.body.bufferedByteCount <= bufferLimit + (64 << 10))

        var received = 0
        for try await chunk in response.body { received += chunk.count }
        #expect(received == total)
        #expect(connection.value?.bytesWritten ?? 0 > total)
    }

    @Test("the transfer state machine pauses at the limit and asks to resume once, at half")
    func transferStateMachine() async throws {
        let transfer = HTTPClientTransfer(id: 1, bufferLimit: 100)
        let chunk = [UInt8](repeating: 7, count: 40)
        func offer() -> Bool { chunk.withUnsafeBytes { transfer.receivedBody($0) } }
        #expect(offer())  // 40
        #expect(offer())  // 80
        #expect(offer())  // 120: the limit is checked before taking a chunk
        #expect(!offer())  // full: not taken, paused
        #expect(transfer.isPaused)
        #expect(transfer.bufferedBytes == 120)

        guard case .chunk(_, let firstUnpause) = transfer.poll() else { Issue.record("expected a chunk"); return }
        #expect(!firstUnpause)  // 80 left, above half the limit
        guard case .chunk(_, let secondUnpause) = transfer.poll() else { Issue.record("expected a chunk"); return }
        #expect(secondUnpause)  // 40 left: resume, and only once
        guard case .chunk(_, let thirdUnpause) = transfer.poll() else { Issue.record("expected a chunk"); return }
        #expect(!thirdUnpause)
        guard case .empty = transfer.poll() else { Issue.record("expected an empty buffer"); return }

        transfer.willUnpause()
        #expect(!transfer.isPaused)
        transfer.finish(nil)  // the head was never delivered: that is a protocol error
        guard case .failed(let error) = transfer.poll() else { Issue.record("expected a failure"); return }
        #expect(error.code == .protocolError)
    }

    @Test("a waiting consumer is resumed exactly once, by whichever side ends first")
    func transferResumesOnce() async throws {
        let transfer = HTTPClientTransfer(id: 2, bufferLimit: 100)
        transfer.receivedHead(HTTPClientResponseHead(status: 200, version: "1.1", headers: HTTPHeaders()))
        let waiting = TestHTTPServerEvent()
        let consumer = Task {
            try await withCheckedThrowingContinuation { continuation in
                #expect(!transfer.waitForChunk(continuation))
                waiting.signal()
            }
        }
        #expect(await waiting.wait(timeout: .seconds(5)))
        #expect(transfer.cancel(HTTPClientError(.cancelled, "test")))
        #expect(!transfer.cancel(HTTPClientError(.cancelled, "again")))
        transfer.finish(HTTPClientError(.connectionLost, "late"))  // ignored: already ended
        #expect([UInt8](repeating: 1, count: 10).withUnsafeBytes { transfer.receivedBody($0) })  // dropped
        let error = await clientError { _ = try await consumer.value }
        #expect(error?.code == .cancelled)
        #expect(transfer.bufferedBytes == 0)
    }

    // MARK: Failures and timeouts

    @Test("a refused connection fails with connectFailed")
    func connectRefused() async throws {
        let closed = try TestHTTPServerClosedPort()
        let client = HTTPClient()
        defer { client.shutdown() }
        let error = await clientError { _ = try await client.execute(HTTPClientRequest(url: closed.baseURL + "/")) }
        #expect(error?.code == .connectFailed)
        #expect(client.stats.transfersFailed == 1)
    }

    @Test("a connection stuck in the handshake fails with connectTimeout")
    func connectTimeout() async throws {
        let listener = try TestHTTPServerFullBacklog()
        let client = HTTPClient()
        defer { client.shutdown() }
        let error = await clientError {
            _ = try await client.execute(HTTPClientRequest(
                url: listener.baseURL + "/", timeouts: HTTPClientTimeouts(connect: .milliseconds(200), total: .seconds(10))
            ))
        }
        #expect(error?.code == .connectTimeout)
    }

    @Test("a server that never answers fails with firstByteTimeout and the connection is closed")
    func firstByteTimeout() async throws {
        let peerClosed = TestHTTPServerEvent()
        let server = try TestHTTPServer { _, connection in
            if connection.waitForPeerClose(timeout: .seconds(30)) { peerClosed.signal() }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        let error = await clientError {
            _ = try await client.execute(HTTPClientRequest(
                url: server.url("/hang"), timeouts: HTTPClientTimeouts(firstByte: .milliseconds(200), total: .seconds(10))
            ))
        }
        #expect(error?.code == .firstByteTimeout)
        #expect(await peerClosed.wait(timeout: .seconds(20)))
        #expect(client.stats.activeTransfers == 0)
    }

    @Test("a body that drips too slowly fails with totalTimeout from the body iterator")
    func totalTimeout() async throws {
        let server = try TestHTTPServer { _, connection in
            try connection.writeChunkedHead()
            while true {
                try connection.writeChunk("tick\n")
                connection.sleep(.milliseconds(20))
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        let response = try await client.execute(HTTPClientRequest(
            url: server.url("/drip"), timeouts: HTTPClientTimeouts(total: .milliseconds(300))
        ))
        #expect(response.status == 200)
        let (bytes, error) = await drainUntilError(response.body)
        #expect(bytes > 0)
        #expect(error?.code == .totalTimeout)
    }

    @Test("a reset in the middle of the body surfaces as an error from the iterator")
    func resetMidBody() async throws {
        let clientGotData = TestHTTPServerEvent()
        let server = try TestHTTPServer { _, connection in
            try connection.writeHead(headers: [("Content-Length", "100000")])
            try connection.write([UInt8](repeating: 0x62, count: 1000))
            _ = clientGotData.waitBlocking(timeout: .seconds(30))
            connection.reset()
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        let response = try await client.execute(HTTPClientRequest(url: server.url("/cut")))
        var iterator = response.body.makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first?.isEmpty == false)
        clientGotData.signal()
        let error = await clientError { while try await iterator.next() != nil {} }
        #expect(error?.code == .connectionLost)
        #expect(client.stats.transfersFailed == 1)
    }

    @Test("response size limits: Content-Length, streamed bytes and collect(upTo:)")
    func responseTooLarge() async throws {
        let server = try TestHTTPServer { request, connection in
            switch request.path {
            case "/declared":
                try connection.respond(body: [UInt8](repeating: 1, count: 100))
            default:
                try connection.writeChunkedHead()
                for _ in 0..<3 { try connection.writeChunk([UInt8](repeating: 2, count: 8)) }
                try connection.finishChunks()
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        let declared = await clientError {
            _ = try await client.execute(HTTPClientRequest(url: server.url("/declared"), maxResponseBytes: 10))
        }
        #expect(declared?.code == .responseTooLarge)

        let streamed = try await client.execute(HTTPClientRequest(url: server.url("/chunked"), maxResponseBytes: 10))
        let (_, streamedError) = await drainUntilError(streamed.body)
        #expect(streamedError?.code == .responseTooLarge)

        let collected = try await client.execute(HTTPClientRequest(url: server.url("/declared")))
        let collectError = await clientError { _ = try await collected.collect(upTo: 50) }
        #expect(collectError?.code == .responseTooLarge)

        let streamedCollect = try await client.execute(HTTPClientRequest(url: server.url("/chunked")))
        let streamedCollectError = await clientError { _ = try await streamedCollect.collect(upTo: 20) }
        #expect(streamedCollectError?.code == .responseTooLarge)
    }

    @Test("fetch returns only once the whole response is in, bodies larger than the stream buffer included")
    func fetchWholeResponse() async throws {
        let clientReturned = TestHTTPServerEvent()
        let returnedBeforeEnd = Shared<Bool?>(nil)
        let server = try TestHTTPServer { request, connection in
            switch request.path {
            case "/slow-end":
                try connection.writeChunkedHead(headers: [("Content-Type", "application/json")])
                try connection.writeChunk(#"{"a":"#)
                // If fetch returned on the head (as execute does), the client would signal now.
                returnedBeforeEnd.value = clientReturned.waitBlocking(timeout: .milliseconds(300))
                try connection.writeChunk(#"1}"#)
                try connection.finishChunks()
            case "/large":
                try connection.respond(body: [UInt8](repeating: 0x62, count: 1 << 20))
            default:
                try connection.respond(status: 503, body: Array(#"{"error":"busy"}"#.utf8))
            }
        }
        defer { server.stop() }
        // A stream buffer much smaller than the body: fetch must not pause the transfer.
        let client = HTTPClient(configuration: HTTPClientConfiguration(maxBufferedBodyBytes: 16 << 10))
        defer { client.shutdown() }

        let (slow, slowBody) = try await client.fetch(HTTPClientRequest(url: server.url("/slow-end")), upTo: 1 << 20)
        clientReturned.signal()
        #expect(slow.status == 200)
        #expect(String(decoding: slowBody, as: UTF8.self) == #"{"a":1}"#)
        #expect(returnedBeforeEnd.value == false)

        let (large, largeBody) = try await client.fetch(HTTPClientRequest(url: server.url("/large")), upTo: 2 << 20)
        #expect(large.status == 200 && largeBody.count == 1 << 20)

        let (failed, failedBody) = try await client.fetch(HTTPClientRequest(url: server.url("/busy")), upTo: 1 << 20)
        #expect(failed.status == 503 && String(decoding: failedBody, as: UTF8.self) == #"{"error":"busy"}"#)

        let tooLarge = await clientError { _ = try await client.fetch(HTTPClientRequest(url: server.url("/large")), upTo: 1000) }
        #expect(tooLarge?.code == .responseTooLarge)
    }

    @Test("collect(upTo:) does not trust a huge declared Content-Length")
    func collectWithHugeDeclaredLength() async throws {
        let server = try TestHTTPServer { _, connection in
            try connection.writeHead(headers: [("Content-Length", "1000000000000000")])
            try connection.write("abc")
            connection.close()
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        let response = try await client.execute(HTTPClientRequest(url: server.url("/huge")))
        let error = await clientError { _ = try await response.collect(upTo: .max) }
        #expect(error?.code == .connectionLost)
    }

    // MARK: Cancellation

    @Test("cancelling the task while waiting for the head aborts the transfer")
    func cancelWhileWaitingForHead() async throws {
        let requestArrived = TestHTTPServerEvent()
        let peerClosed = TestHTTPServerEvent()
        let server = try TestHTTPServer { _, connection in
            requestArrived.signal()
            if connection.waitForPeerClose(timeout: .seconds(30)) { peerClosed.signal() }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        let task = Task { try await client.execute(HTTPClientRequest(url: server.url("/slow"))) }
        #expect(await requestArrived.wait(timeout: .seconds(5)))
        task.cancel()
        let error = await clientError { _ = try await task.value }
        #expect(error?.code == .cancelled)
        #expect(await peerClosed.wait(timeout: .seconds(20)))
        #expect(client.stats.transfersCancelled == 1)
        #expect(client.stats.activeTransfers == 0)
    }

    @Test("cancelling the task while iterating the body aborts the transfer")
    func cancelWhileIterating() async throws {
        let firstChunkRead = TestHTTPServerEvent()
        let peerClosed = TestHTTPServerEvent()
        let server = try TestHTTPServer { _, connection in
            try connection.writeChunkedHead()
            try connection.writeChunk("partial")
            if connection.waitForPeerClose(timeout: .seconds(30)) { peerClosed.signal() }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        let task = Task {
            let response = try await client.execute(HTTPClientRequest(url: server.url("/stream")))
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            firstChunkRead.signal()
            while try await iterator.next() != nil {}
        }
        #expect(await firstChunkRead.wait(timeout: .seconds(5)))
        task.cancel()
        let error = await clientError { try await task.value }
        #expect(error?.code == .cancelled)
        #expect(await peerClosed.wait(timeout: .seconds(20)))
    }

    @Test("dropping an unfinished response aborts the transfer")
    func abandonedBody() async throws {
        let peerClosed = TestHTTPServerEvent()
        let server = try TestHTTPServer { _, connection in
            try connection.writeChunkedHead()
            try connection.writeChunk("partial")
            if connection.waitForPeerClose(timeout: .seconds(30)) { peerClosed.signal() }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        try await Self.readOneChunkAndDrop(client: client, url: server.url("/stream"))
        #expect(await peerClosed.wait(timeout: .seconds(20)))
        #expect(client.stats.transfersCancelled == 1)
    }

    private static func readOneChunkAndDrop(client: HTTPClient, url: String) async throws {
        let response = try await client.execute(HTTPClientRequest(url: url))
        var iterator = response.body.makeAsyncIterator()
        let chunk = try await iterator.next()
        #expect(chunk == Array("partial".utf8))
    }

    @Test("shutdown fails transfers in flight and later requests")
    func shutdownFailsTransfers() async throws {
        let requestArrived = TestHTTPServerEvent()
        let server = try TestHTTPServer { _, connection in
            requestArrived.signal()
            _ = connection.waitForPeerClose(timeout: .seconds(30))
        }
        defer { server.stop() }
        let client = HTTPClient()

        let task = Task { try await client.execute(HTTPClientRequest(url: server.url("/slow"))) }
        #expect(await requestArrived.wait(timeout: .seconds(5)))
        client.shutdown()
        let inFlight = await clientError { _ = try await task.value }
        #expect(inFlight?.code == .shutdown)
        let later = await clientError { _ = try await client.execute(HTTPClientRequest(url: server.url("/"))) }
        #expect(later?.code == .shutdown)
        client.shutdown()
    }

    // MARK: Connections

    @Test("an explicit proxy receives requests in absolute form")
    func explicitProxy() async throws {
        let received = Shared<TestHTTPServerRequest?>(nil)
        let proxy = try TestHTTPServer { request, connection in
            received.value = request
            try connection.respond(body: "via proxy")
        }
        defer { proxy.stop() }
        let client = HTTPClient(configuration: HTTPClientConfiguration(proxy: .url(proxy.baseURL)))
        defer { client.shutdown() }

        let response = try await client.execute(HTTPClientRequest(url: "http://upstream.invalid/v1/models"))
        #expect(String(decoding: try await response.collect(upTo: 100), as: UTF8.self) == "via proxy")
        let request = try #require(received.value)
        #expect(request.target == "http://upstream.invalid/v1/models")
        #expect(request.headers["host"] == "upstream.invalid")
    }

    @Test("sequential requests to one server reuse one connection")
    func connectionReuse() async throws {
        let server = try TestHTTPServer { request, connection in
            if request.path == "/empty" {
                try connection.respond(status: 200)
            } else {
                try connection.respond(body: "response \(request.path)")
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        for i in 0..<5 {
            let response = try await client.execute(HTTPClientRequest(url: server.url("/\(i)")))
            #expect(String(decoding: try await response.collect(upTo: 100), as: UTF8.self) == "response /\(i)")
        }
        // A response without a body is complete when returned, so dropping it keeps the connection.
        _ = try await client.execute(HTTPClientRequest(url: server.url("/empty")))
        let post = try await client.execute(HTTPClientRequest(method: "POST", url: server.url("/post"), body: [1, 2, 3]))
        _ = try await post.collect(upTo: 100)

        #expect(server.requestCount == 7)
        #expect(server.acceptedConnections == 1)
        let stats = client.stats
        #expect(stats.transfersStarted == 7)
        #expect(stats.transfersCompleted == 7)
        #expect(stats.activeTransfers == 0)

        // Shutting down closes the idle connection.
        #expect(server.finishedConnections == 0)
        client.shutdown()
        #expect(await eventually { server.finishedConnections == 1 })
    }

    @Test("50 concurrent requests all succeed")
    func concurrentRequests() async throws {
        let server = try TestHTTPServer { request, connection in
            try connection.respond(body: "reply to \(request.path)")
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }

        let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<50 {
                group.addTask {
                    let response = try await client.execute(HTTPClientRequest(url: server.url("/\(i)")))
                    #expect(response.status == 200)
                    return (i, String(decoding: try await response.collect(upTo: 1024), as: UTF8.self))
                }
            }
            var bodies: [Int: String] = [:]
            for try await (i, body) in group { bodies[i] = body }
            return bodies
        }
        #expect(bodies.count == 50)
        for i in 0..<50 { #expect(bodies[i] == "reply to /\(i)") }
        let stats = client.stats
        #expect(stats.transfersCompleted == 50)
        #expect(stats.transfersFailed == 0)
        #expect(stats.activeTransfers == 0)
    }
}
