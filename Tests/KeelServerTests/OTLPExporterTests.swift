import Foundation
import KeelCore
import KeelHTTP
import KeelTestSupport
import Synchronization
import Testing
@testable import KeelTelemetry

@Suite(.serialized) struct OTLPExporterTests {
    let logger = Logger(label: "test", level: .critical)

    func exporter(_ server: TestHTTPServer, encoding: OTLPHTTPExporter.Encoding = .protobuf, client: HTTPClient, maxAttempts: Int = 5, maxRetryDelay: Duration = .seconds(30)) -> OTLPHTTPExporter {
        OTLPHTTPExporter(
            configuration: .init(
                tracesURL: OTLPHTTPExporter.Configuration.tracesURL(forBaseEndpoint: server.baseURL + "/"),
                encoding: encoding, headers: ["authorization": "Bearer otlp-token"], timeout: .seconds(5),
                maxAttempts: maxAttempts, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(5), maxRetryDelay: maxRetryDelay
            ),
            client: client
        )
    }

    @Test("http/protobuf: POST /v1/traces with the protobuf body, content type and configured headers")
    func protobufExport() async throws {
        let received = Mutex<[TestHTTPServerRequest]>([])
        let server = try TestHTTPServer { request, connection in
            received.withLock { $0.append(request) }
            try connection.respond(status: 200, headers: [("Content-Type", "application/x-protobuf")], body: [])
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let otlp = exporter(server, client: client)
        let result = await otlp.export(OTLPFixtureSpans.spans, resource: OTLPFixtureSpans.resource, scope: OTLPFixtureSpans.scope)
        #expect(result == .success)
        let request = try #require(received.withLock { $0.first })
        #expect(request.method == "POST")
        #expect(request.path == "/v1/traces")
        #expect(request.headers["content-type"] == "application/x-protobuf")
        #expect(request.headers["authorization"] == "Bearer otlp-token")
        #expect(request.body == hexBytes(OTLPFixtures.protobufHex))
        #expect(otlp.stats == OTLPExporterStats(requests: 1, retries: 0, failedBatches: 0))
    }

    @Test("http/protobuf takes spans encoded as they end; the body is the same")
    func protobufExportOfEncodedSpans() async throws {
        let received = Mutex<[TestHTTPServerRequest]>([])
        let server = try TestHTTPServer { request, connection in
            received.withLock { $0.append(request) }
            try connection.respond(status: 200, headers: [], body: [])
        }
        defer { server.stop() }
        // The exporter's own client, stopped with it.
        let client = HTTPClient(threadName: "test-otlp")
        let otlp = OTLPHTTPExporter(
            configuration: .init(tracesURL: server.url("/v1/traces"), timeout: .seconds(5)), client: client, ownsClient: true
        )
        #expect(otlp.exportsEncodedSpans)
        var writer = ProtobufWriter(capacity: 64)
        for span in OTLPFixtureSpans.spans { OTLPProtobufEncoder.writeSpanField(span, into: &writer) }
        let encoded = EncodedSpans(bytes: writer.bytes, count: OTLPFixtureSpans.spans.count)
        #expect(await otlp.export(encoded: encoded, resource: OTLPFixtureSpans.resource, scope: OTLPFixtureSpans.scope) == .success)
        #expect(received.withLock { $0.first?.body } == hexBytes(OTLPFixtures.protobufHex))
        await otlp.shutdown()
        await #expect(throws: HTTPClientError.self) { _ = try await client.execute(HTTPClientRequest(url: server.url("/late"))) }
        // An http/json exporter takes Span values.
        let json = OTLPHTTPExporter(configuration: .init(tracesURL: server.url("/v1/traces"), encoding: .json), client: HTTPClient())
        #expect(!json.exportsEncodedSpans)
    }

    @Test("http/json: the OTLP/JSON body with application/json")
    func jsonExport() async throws {
        let received = Mutex<[TestHTTPServerRequest]>([])
        let server = try TestHTTPServer { request, connection in
            received.withLock { $0.append(request) }
            try connection.respond(status: 200, headers: [("Content-Type", "application/json")], body: "{}")
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let result = await exporter(server, encoding: .json, client: client).export(OTLPFixtureSpans.spans, resource: OTLPFixtureSpans.resource, scope: OTLPFixtureSpans.scope)
        #expect(result == .success)
        let request = try #require(received.withLock { $0.first })
        #expect(request.headers["content-type"] == "application/json")
        let differences = jsonDifferences(try JSONValue(parsing: request.body), try JSONValue(parsing: OTLPFixtures.json), path: "$")
        #expect(differences.isEmpty, "\(differences)")
    }

    @Test("429, 502, 503 and 504 are retried; the batch arrives once accepted", arguments: [429, 502, 503, 504])
    func retries(status: Int) async throws {
        let attempts = Atomic<Int>(0)
        let server = try TestHTTPServer { _, connection in
            let attempt = attempts.wrappingAdd(1, ordering: .relaxed).newValue
            if attempt < 3 {
                try connection.respond(status: status, body: "busy")
            } else {
                try connection.respond(status: 200, body: [])
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let otlp = exporter(server, client: client)
        let result = await otlp.export(OTLPFixtureSpans.spans, resource: OTLPFixtureSpans.resource, scope: OTLPFixtureSpans.scope)
        #expect(result == .success)
        #expect(otlp.stats == OTLPExporterStats(requests: 3, retries: 2, failedBatches: 0))
    }

    @Test("Retry-After is honoured")
    func retryAfter() async throws {
        let attempts = Atomic<Int>(0)
        let server = try TestHTTPServer { _, connection in
            if attempts.wrappingAdd(1, ordering: .relaxed).newValue == 1 {
                try connection.respond(status: 503, headers: [("Retry-After", "1")], body: [])
            } else {
                try connection.respond(status: 200, body: [])
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let start = ContinuousClock.now
        let result = await exporter(server, client: client).export(OTLPFixtureSpans.spans, resource: OTLPFixtureSpans.resource, scope: OTLPFixtureSpans.scope)
        #expect(result == .success)
        #expect(ContinuousClock.now - start >= .milliseconds(950))
    }

    @Test("a Retry-After longer than allowed drops the batch at once")
    func retryAfterTooLong() async throws {
        let server = try TestHTTPServer { _, connection in
            try connection.respond(status: 429, headers: [("Retry-After", "3600")], body: [])
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let otlp = exporter(server, client: client, maxRetryDelay: .seconds(2))
        let result = await otlp.export(OTLPFixtureSpans.spans, resource: OTLPFixtureSpans.resource, scope: OTLPFixtureSpans.scope)
        guard case .failure(let reason) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(reason.contains("HTTP 429"))
        #expect(otlp.stats == OTLPExporterStats(requests: 1, retries: 0, failedBatches: 1))
    }

    @Test("other statuses are not retried")
    func notRetried() async throws {
        let server = try TestHTTPServer { _, connection in
            try connection.respond(status: 400, body: "bad")
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let otlp = exporter(server, client: client)
        let result = await otlp.export(OTLPFixtureSpans.spans, resource: OTLPFixtureSpans.resource, scope: OTLPFixtureSpans.scope)
        #expect(result == .failure("HTTP 400"))
        #expect(otlp.stats == OTLPExporterStats(requests: 1, retries: 0, failedBatches: 1))
    }

    @Test("an unreachable receiver is retried up to the attempt limit, then the batch is dropped")
    func unreachable() async throws {
        let server = try TestHTTPServer { _, _ in }
        let url = server.baseURL
        server.stop()
        let client = HTTPClient()
        defer { client.shutdown() }
        let otlp = OTLPHTTPExporter(
            configuration: .init(tracesURL: url + "/v1/traces", timeout: .seconds(2), maxAttempts: 3, initialBackoff: .milliseconds(1)),
            client: client
        )
        let result = await otlp.export(OTLPFixtureSpans.spans, resource: OTLPFixtureSpans.resource, scope: OTLPFixtureSpans.scope)
        guard case .failure(let reason) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(reason.contains("after 3 attempts"))
        #expect(otlp.stats == OTLPExporterStats(requests: 3, retries: 2, failedBatches: 1))
    }

    @Test("Retry-After: seconds, HTTP dates, garbage")
    func retryAfterParsing() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(OTLPRetryAfter.delay("7", now: now) == .seconds(7))
        #expect(OTLPRetryAfter.delay(" 0 ", now: now) == .seconds(0))
        #expect(OTLPRetryAfter.delay("Tue, 14 Nov 2023 22:13:30 GMT", now: now) == .seconds(10))
        #expect(OTLPRetryAfter.delay("Tue, 14 Nov 2023 22:00:00 GMT", now: now) == .zero)
        #expect(OTLPRetryAfter.delay("soon", now: now) == nil)
        #expect(OTLPRetryAfter.delay(nil, now: now) == nil)
    }

    @Test("end to end: tracer spans arrive at the receiver with their trace ids and attributes")
    func tracerToReceiver() async throws {
        let bodies = Mutex<[[UInt8]]>([])
        let server = try TestHTTPServer { request, connection in
            bodies.withLock { $0.append(request.body) }
            try connection.respond(status: 200, body: "{}")
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let tracer = Tracer(
            resource: TelemetryResource(serviceName: "keel-test"), exporter: exporter(server, encoding: .json, client: client),
            batching: .init(maxExportBatchSize: 8, scheduleDelay: .seconds(60)), logger: logger
        )
        let inbound = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        var ids: [String] = []
        for index in 0..<20 {
            var request = tracer.startSpan("chat gpt-4o-mini", kind: .server, parent: index == 0 ? inbound : nil)
            request.attributes.merge(GenAIConventions.attributes(GenAISpanValues(operation: "chat", requestModel: "gpt-4o-mini", providerKind: "bedrock", usage: GenAIUsage(inputTokens: index))))
            let attempt = request.child("chat upstream-model", kind: .client)
            tracer.end(attempt)
            tracer.end(request)
            ids.append(request.context.traceID.hex)
        }
        await tracer.shutdown()
        let received = bodies.withLock { $0 }
        #expect(received.count == 5)  // 40 spans in batches of 8
        var spans: [JSONValue] = []
        for body in received {
            let document = try JSONValue(parsing: body)
            let resourceSpans = try #require(document["resourceSpans"]?.arrayValue?.first)
            #expect(resourceSpans["resource"]?["attributes"]?.arrayValue?.first?["value"]?["stringValue"]?.stringValue == "keel-test")
            spans += resourceSpans["scopeSpans"]?.arrayValue?.first?["spans"]?.arrayValue ?? []
        }
        #expect(spans.count == 40)
        #expect(Set(spans.compactMap { $0["traceId"]?.stringValue }) == Set(ids))
        #expect(ids[0] == "4bf92f3577b34da6a3ce929d0e0e4736")
        let first = try #require(spans.first { $0["kind"]?.intValue == 2 && $0["traceId"]?.stringValue == ids[0] })
        #expect(first["parentSpanId"]?.stringValue == "00f067aa0ba902b7")
        let providerNames = first["attributes"]?.arrayValue?.filter { $0["key"]?.stringValue == "gen_ai.provider.name" }.compactMap { $0["value"]?["stringValue"]?.stringValue }
        #expect(providerNames == ["aws.bedrock"])
        #expect(tracer.stats.exported == 40)
        #expect(tracer.stats.dropped == 0)
    }
}
