import Foundation
import KeelCore
import KeelHTTP

/// A fake Gemini API (Google AI, `generativelanguage.googleapis.com`) on Keel's own HTTP engine,
/// speaking the real wire format: `POST /v1beta/models/{model}:generateContent`,
/// `:streamGenerateContent?alt=sse` and `:batchEmbedContents`, authenticated by `x-goog-api-key`.
/// Point a `gemini` provider's `base_url` at ``baseURL``.
///
/// What it answers:
/// - a request whose last turn is a user's text, with function declarations: one `functionCall`
///   per declared function, all in one turn (the first with a `thoughtSignature`, as Gemini 3 sends);
/// - a request whose last turn holds `functionResponse`s: the text "Got: NAME=OUTPUT; …";
/// - otherwise the text ``answer`` (streamed in four chunks, after a `thought` part the gateway
///   must skip).
/// Every answer carries ``usage``; a wrong or missing key gets Google's `API_KEY_INVALID` answer.
public final class FakeGemini: Sendable {
    /// A request the fake received.
    public struct Received: Sendable {
        /// The path, e.g. `/v1beta/models/gemini-2.5-flash:generateContent`.
        public var path: String
        public var query: [(name: String, value: String)]
        public var headers: HTTPHeaders
        public var body: JSONValue
    }

    /// What to answer instead of a normal response.
    public enum Failure: Sendable {
        /// This status and body (use ``errorBody(code:message:status:details:)`` for Google's shape).
        case status(Int, body: String, headers: HTTPHeaders)
        /// Stream two chunks of text, then end the body without a `finishReason`.
        case truncateStream
    }

    public let server: HTTPServer
    public let apiKey: String
    private let received = Locked<[Received]>([])
    private let failure = Locked<Failure?>(nil)
    /// The text every plain answer contains, in the chunks it is streamed in.
    public static let answer = ["Hello", ", ", "world", "!"]
    /// The `usageMetadata` of every answer: 12 prompt tokens of which 8 cached, 4 candidate and
    /// 5 thought tokens.
    public static let usage: JSONValue = [
        "promptTokenCount": 12, "candidatesTokenCount": 4, "totalTokenCount": 21, "cachedContentTokenCount": 8,
        "thoughtsTokenCount": 5, "promptTokensDetails": [["modality": "TEXT", "tokenCount": 12]],
    ]
    /// The model version every answer reports.
    public static let modelVersion = "gemini-2.5-flash-fake-001"

    /// Starts the fake; requests must carry `apiKey` in `x-goog-api-key`.
    public init(apiKey: String) throws {
        self.apiKey = apiKey
        let received = self.received
        let failure = self.failure
        var router = Router()
        router.post("/v1beta/models/{action}") { request, context in
            let action = context.parameters["action"] ?? ""
            let body = (try? JSONValue(parsing: request.body)) ?? .null
            received.withLock { $0.append(Received(path: request.path, query: request.query, headers: request.headers, body: body)) }
            guard request.headers.first("x-goog-api-key") == apiKey else {
                return Self.error(400, "API key not valid. Please pass a valid API key.", status: "INVALID_ARGUMENT", details: [[
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                    "metadata": ["service": "generativelanguage.googleapis.com"],
                ]])
            }
            guard let colon = action.lastIndex(of: ":") else {
                return Self.error(404, "Method not found.", status: "NOT_FOUND")
            }
            let model = String(action[..<colon])
            let method = action[action.index(after: colon)...]
            if case .status(let status, let text, let headers)? = failure.value {
                var h = headers
                h.replaceOrAdd(name: "content-type", value: "application/json; charset=UTF-8")
                return Response(status: status, headers: h, body: .bytes(Array(text.utf8)))
            }
            switch method {
            case "generateContent":
                return .json(bytes: Self.answer(to: body).serialized())
            case "streamGenerateContent":
                guard request.queryValue("alt") == "sse" else {
                    return Self.error(400, "This fake only streams with alt=sse.", status: "INVALID_ARGUMENT")
                }
                let truncate: Bool
                if case .truncateStream? = failure.value { truncate = true } else { truncate = false }
                return Self.stream(to: body, truncate: truncate)
            case "batchEmbedContents":
                return Self.embeddings(for: body, model: model)
            default:
                return Self.error(404, "Method \(method) not found.", status: "NOT_FOUND")
            }
        }
        let (sink, _) = LogSink.memory()
        server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0, threads: 1), responder: router.buildResponder(), logger: Logger(label: "fake-gemini", sink: sink))
        try server.start()
    }

    /// The `base_url` of a provider pointing here.
    public var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// Every request received so far.
    public var requests: [Received] { received.value }

    /// Makes every following request fail this way (nil restores normal answers).
    public func fail(with f: Failure?) { failure.value = f }

    public func stop() async { await server.shutdown(gracePeriod: .seconds(1)) }

    /// A Google API error body: `{"error": {"code", "message", "status", "details"}}`.
    public static func errorBody(code: Int, message: String, status: String, details: [JSONValue] = []) -> String {
        var error: JSONObject = ["code": JSONValue(code), "message": .string(message), "status": .string(status)]
        if !details.isEmpty { error["details"] = .array(details) }
        return JSONValue.object(["error": .object(error)]).serializedString()
    }

    static func error(_ code: Int, _ message: String, status: String, details: [JSONValue] = []) -> Response {
        .json(errorBody(code: code, message: message, status: status, details: details), status: code)
    }

    // MARK: Answers

    /// The parts of the answer to `body`: function calls, a summary of function responses, or text.
    static func parts(for body: JSONValue) -> [JSONValue] {
        let lastParts = body["contents"]?.arrayValue?.last?["parts"]?.arrayValue ?? []
        let responses = lastParts.compactMap { $0["functionResponse"] }
        if !responses.isEmpty {
            let summary = responses.map { r in
                "\(r["name"]?.stringValue ?? "?")=\(r["response"]?["output"]?.stringValue ?? r["response"]?["error"]?.stringValue ?? "?")"
            }.joined(separator: "; ")
            return [["text": .string("Got: " + summary)]]
        }
        let functions = body["tools"]?[0]?["functionDeclarations"]?.arrayValue ?? []
        if !functions.isEmpty, body["toolConfig"]?["functionCallingConfig"]?["mode"]?.stringValue != "NONE" {
            return functions.enumerated().map { i, function in
                let name = function["name"]?.stringValue ?? "f"
                var part: JSONObject = ["functionCall": ["name": .string(name), "args": ["city": .string(i == 0 ? "Paris" : "Tokyo"), "days": JSONValue(i + 1)]]]
                if i == 0 { part["thoughtSignature"] = "CiQBcsjafBa1H2ZqXFake0Signature0Base64Q==" }
                return .object(part)
            }
        }
        return [["text": .string(answer.joined())]]
    }

    static func response(parts: [JSONValue], finish: String?, usage: JSONValue) -> JSONValue {
        var candidate: JSONObject = ["content": ["parts": .array(parts), "role": "model"], "index": 0]
        if let finish { candidate["finishReason"] = .string(finish) }
        return ["candidates": [.object(candidate)], "usageMetadata": usage, "modelVersion": .string(modelVersion), "responseId": "fakeResp-9b2XaJ"]
    }

    static func answer(to body: JSONValue) -> JSONValue {
        response(parts: parts(for: body), finish: "STOP", usage: usage)
    }

    static func stream(to body: JSONValue, truncate: Bool) -> Response {
        let parts = parts(for: body)
        let isText = parts.allSatisfy { $0["text"] != nil } && parts.first?["text"]?.stringValue == answer.joined()
        // Intermediate chunks carry the prompt count only, as Gemini's do.
        let partialUsage: JSONValue = ["promptTokenCount": 12, "totalTokenCount": 12]
        return .eventStream(headers: ["content-type": "text/event-stream"]) { writer in
            func send(_ json: JSONValue) async throws {
                try await writer.write(event: ServerSentEvent(data: json.serializedString()))
            }
            guard isText else {
                try await send(response(parts: parts, finish: truncate ? nil : "STOP", usage: truncate ? partialUsage : usage))
                return
            }
            try await send(response(parts: [["text": "The user greets me.", "thought": true]], finish: nil, usage: partialUsage))
            for (i, piece) in answer.enumerated() {
                if truncate, i == 2 { return }
                let last = i == answer.count - 1
                try await send(response(parts: [["text": .string(piece)]], finish: last ? "STOP" : nil, usage: last ? usage : partialUsage))
            }
        }
    }

    static func embeddings(for body: JSONValue, model: String) -> Response {
        guard let requests = body["requests"]?.arrayValue, !requests.isEmpty else {
            return error(400, "* BatchEmbedContentsRequest.requests: contents is not specified", status: "INVALID_ARGUMENT")
        }
        if requests.count > 100 {
            return error(400, "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch", status: "INVALID_ARGUMENT")
        }
        var embeddings: [JSONValue] = []
        for (i, request) in requests.enumerated() {
            guard request["model"]?.stringValue == "models/\(model)" else {
                return error(400, "Model names in the batch must match the model in the URL.", status: "INVALID_ARGUMENT")
            }
            // Vector i is (3(i+1), 4(i+1), 0, …): its length is 5(i+1), so normalizing gives (0.6, 0.8, 0, …).
            let dimensions = request["outputDimensionality"]?.intValue ?? 3
            var values = [JSONValue](repeating: 0, count: max(dimensions, 2))
            values[0] = JSONValue(Double(3 * (i + 1)))
            values[1] = JSONValue(Double(4 * (i + 1)))
            embeddings.append(["values": .array(values)])
        }
        return .json(bytes: JSONValue.object(["embeddings": .array(embeddings)]).serialized())
    }
}
