import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
@testable import KeelServer
import KeelStore
import KeelTelemetry
import KeelTestSupport
import Synchronization
import Testing

@Suite("Feedback", .serialized)
struct FeedbackTests {
    static let key = "sk-keel-feedback-test"
    static let auth = [("authorization", "Bearer \(key)"), ("content-type", "application/json")]

    static func configure(_ config: inout KeelConfig) {
        config.server.masterKey = Secret(key)
        config.storage.flushInterval = .seconds(30)  // entries stay queued: the route must flush to find them
    }

    static func path(_ app: Application) -> String {
        guard case .sqlite(let path) = app.config.storage.url else { return ":memory:" }
        return path
    }

    @Test("feedback on a request that is still queued in the log writer is stored with its trace")
    func storesFeedback() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            app.store.record(RequestLogEntry(
                id: "req-1", inboundAPI: "openai.chat_completions", model: "gpt-4o-mini",
                metadata: ["trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"]
            ))
            let port = app.port
            let response = try await onThread {
                try RawHTTPConnection(port: port).request("POST", "/v1/feedback", headers: Self.auth, body: Array(#"{"request_id":"req-1","score":0.5,"label":"good","comment":"helpful","source":"end_user"}"#.utf8))
            }
            #expect(response.status == 201, "\(response.bodyText)")
            let body = try JSONValue(parsing: response.body)
            let id = try #require(body["id"]?.stringValue)
            #expect(id.hasPrefix("fb_"))
            #expect(body["object"]?.stringValue == "feedback")
            #expect(body["request_id"]?.stringValue == "req-1")
            #expect(body["trace_id"]?.stringValue == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(body["score"]?.doubleValue == 0.5)

            let stored = try SQLiteFeedbackStore(path: Self.path(app))
            let records = try await stored.feedback(requestID: "req-1")
            #expect(records.count == 1)
            let record = try #require(records.first)
            #expect(record.id == id)
            #expect(record.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(record.spanID == "00f067aa0ba902b7")
            #expect(record.name == "user_feedback")
            #expect(record.score == 0.5)
            #expect(record.label == "good")
            #expect(record.comment == "helpful")
            #expect(record.source == "end_user")
            #expect(try await stored.feedback(traceID: "4bf92f3577b34da6a3ce929d0e0e4736").map(\.id) == [id])
            await stored.close()
        }
    }

    @Test("feedback by trace id needs no request; upper-case hex is normalised")
    func byTraceID() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            let port = app.port
            let response = try await onThread {
                try RawHTTPConnection(port: port).request("POST", "/v1/feedback", headers: Self.auth, body: Array(#"{"trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","score":-1,"name":"ticket_resolved","source":"crm"}"#.utf8))
            }
            #expect(response.status == 201, "\(response.bodyText)")
            let stored = try SQLiteFeedbackStore(path: Self.path(app))
            let records = try await stored.feedback(traceID: "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(records.map(\.name) == ["ticket_resolved"])
            #expect(records.first?.requestID == nil)
            #expect(records.first?.score == -1)
            await stored.close()
        }
    }

    @Test("bad input is answered with a clear 400, unknown requests with 404, no key with 401")
    func validation() async throws {
        let cases: [(body: String, status: Int, message: String)] = [
            (#"[1]"#, 400, "must be a JSON object"),
            (#"{"#, 400, "not valid JSON"),
            (#"{"score":1}"#, 400, "request_id or its trace_id"),
            (#"{"request_id":"r","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","score":1}"#, 400, "not both"),
            (#"{"request_id":"r"}"#, 400, "score is required"),
            (#"{"request_id":"r","score":"5"}"#, 400, "score must be a number"),
            (#"{"request_id":"r","score":null}"#, 400, "score is required"),
            (#"{"request_id":5,"score":1}"#, 400, "request_id must be a string"),
            (#"{"request_id":"","score":1}"#, 400, "request_id must not be empty"),
            (#"{"trace_id":"00000000000000000000000000000000","score":1}"#, 400, "not all zero"),
            (#"{"trace_id":"xyz","score":1}"#, 400, "32 hexadecimal digits"),
            (#"{"request_id":"r","score":1,"label":"\#(String(repeating: "a", count: 129))"}"#, 400, "label is longer than 128"),
            (#"{"request_id":"r","score":1,"comment":"\#(String(repeating: "a", count: 4097))"}"#, 400, "comment is longer than 4096"),
            (#"{"request_id":"r","score":1,"source":"\#(String(repeating: "a", count: 65))"}"#, 400, "source is longer than 64"),
            (#"{"request_id":"r","score":1,"rating":5}"#, 400, #"unknown field \"rating\""#),
            (#"{"request_id":"no-such-request","score":1}"#, 404, "no request with id"),
        ]
        try await withTestApplication(configure: Self.configure) { app, _ in
            let port = app.port
            try await onThread {
                let connection = try RawHTTPConnection(port: port)
                for item in cases {
                    let response = try connection.request("POST", "/v1/feedback", headers: Self.auth, body: Array(item.body.utf8))
                    #expect(response.status == item.status, "\(item.body.prefix(80)): \(response.bodyText)")
                    #expect(response.bodyText.contains(item.message), "\(item.body.prefix(80)): \(response.bodyText)")
                    #expect(response.bodyText.hasPrefix(#"{"error":{"message":"#))
                }
                let unauthenticated = try connection.request("POST", "/v1/feedback", headers: [("content-type", "application/json")], body: Array(#"{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","score":1}"#.utf8))
                #expect(unauthenticated.status == 401)
            }
            let stored = try SQLiteFeedbackStore(path: Self.path(app))
            #expect(try await stored.feedback(requestID: "r").isEmpty)
            await stored.close()
        }
    }

    @Test("with tracing on, feedback is a gen_ai.evaluation.result event in the request's trace")
    func exportedAsEvaluationEvent() async throws {
        let store = try SQLiteStore(path: ":memory:", logger: Logger(label: "t", level: .critical))
        let feedbackStore = try SQLiteFeedbackStore(path: ":memory:")
        let exporter = CollectingExporter()
        let tracer = Tracer(exporter: exporter, logger: Logger(label: "t", level: .critical))
        store.record(RequestLogEntry(
            id: "req-9", inboundAPI: "openai.chat_completions", model: "m",
            metadata: ["trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "b7ad6b7169203331"]
        ))
        let routes = FeedbackRoutes(store: store, feedback: feedbackStore, tracer: tracer)
        let response = try await routes.handle(Request(method: "POST", path: "/v1/feedback", body: Array(#"{"request_id":"req-9","score":4,"label":"good","comment":"nice","source":"end_user","name":"rating"}"#.utf8)))
        #expect(response.status == 201)
        await tracer.forceFlush()
        let span = try #require(exporter.spans.first)
        #expect(exporter.spans.count == 1)
        #expect(span.traceID.hex == "0af7651916cd43dd8448eb211c80319c")
        #expect(span.parentSpanID?.hex == "b7ad6b7169203331")
        #expect(span.name == "feedback rating")
        #expect(span.kind == .internal)
        #expect(span.attributes["keel.request_id"] == "req-9")
        #expect(span.attributes["keel.feedback.source"] == "end_user")
        let event = try #require(span.events.first)
        #expect(event.name == "gen_ai.evaluation.result")
        #expect(event.attributes["gen_ai.evaluation.name"] == "rating")
        #expect(event.attributes["gen_ai.evaluation.score.value"] == .double(4))
        #expect(event.attributes["gen_ai.evaluation.score.label"] == "good")
        #expect(event.attributes["gen_ai.evaluation.explanation"] == "nice")
        await tracer.shutdown()
        await feedbackStore.close()
        await store.shutdown()
    }

    @Test("keel serve's wiring: telemetry.otlp sends feedback spans to the configured endpoint")
    func wiredThroughTheApplication() async throws {
        let bodies = Mutex<[TestHTTPServerRequest]>([])
        let receiver = try TestHTTPServer { request, connection in
            bodies.withLock { $0.append(request) }
            try connection.respond(status: 200, body: "{}")
        }
        defer { receiver.stop() }
        try await withTestApplication(configure: {
            Self.configure(&$0)
            $0.telemetry = TelemetryConfig(otlp: .init(endpoint: receiver.baseURL, protocol: .httpJSON, headers: ["x-otlp-key": "k1"]), serviceName: "keel-feedback-test")
        }) { app, _ in
            let port = app.port
            let response = try await onThread {
                try RawHTTPConnection(port: port).request("POST", "/v1/feedback", headers: Self.auth, body: Array(#"{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","score":1}"#.utf8))
            }
            #expect(response.status == 201)
            var waited = 0
            while bodies.withLock({ $0.isEmpty }), waited < 100 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            let request = try #require(bodies.withLock { $0.first })
            #expect(request.path == "/v1/traces")
            #expect(request.headers["content-type"] == "application/json")
            #expect(request.headers["x-otlp-key"] == "k1")
            #expect(request.bodyText.contains(#""traceId":"4bf92f3577b34da6a3ce929d0e0e4736""#))
            #expect(request.bodyText.contains("gen_ai.evaluation.result"))
            #expect(request.bodyText.contains("keel-feedback-test"))
        }
    }
}

@Suite struct FeedbackStoreTests {
    @Test("migration 3 creates the feedback table; a record needs a request or a trace")
    func storeRoundTrip() async throws {
        #expect(SQLiteStore.migrations.contains { $0.version == 3 && $0.name == "feedback" })
        let directory = TemporaryDirectory()
        let path = directory.path + "/keel.db"
        let main = try SQLiteStore(path: path, logger: Logger(label: "t", level: .critical))
        let store = try SQLiteFeedbackStore(path: path)
        let first = Feedback(time: 1_000, requestID: "a", name: "n", score: 1)
        let second = Feedback(time: 2_000, requestID: "a", traceID: "4bf92f3577b34da6a3ce929d0e0e4736", name: "n", score: 2, label: "l", comment: "c", source: "s")
        try await store.record(second)
        try await store.record(first)
        #expect(try await store.feedback(requestID: "a") == [first, second])
        #expect(try await store.feedback(traceID: "4bf92f3577b34da6a3ce929d0e0e4736") == [second])
        await #expect(throws: StoreError.self) {
            try await store.record(Feedback(name: "n", score: 1))
        }
        await #expect(throws: StoreError.self) {
            try await store.record(first)  // same id
        }
        await store.close()
        await #expect(throws: StoreError.self) { try await store.feedback(requestID: "a") }
        // A second open sees what the first wrote (same file, own connection).
        let reopened = try SQLiteFeedbackStore(path: path)
        #expect(try await reopened.feedback(requestID: "a").count == 2)
        await reopened.close()
        await main.shutdown()
        #expect(Feedback.newID() != Feedback.newID())
        #expect(Feedback.newID().count == 27)
    }
}
