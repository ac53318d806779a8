import Foundation
import KeelCore
import KeelHTTP

/// A fake model provider on Keel's own HTTP engine, speaking OpenAI's Chat Completions
/// (`POST /v1/chat/completions`) and Anthropic's Messages (`POST /v1/messages`) wire formats, streamed
/// and not, with recorded requests and injectable failures. Point a provider's `base_url` at
/// `openAIBaseURL` or `anthropicBaseURL`.
///
/// What it answers depends on the request, so that one configuration can route different model
/// names to different behaviours:
///
/// - the upstream model name `status-NNN` (e.g. `status-503`, `status-429`, `status-400`) answers
///   status NNN with that provider's real error body (OpenAI `{"error": {…}}`, Anthropic
///   `{"type": "error", "error": {"type": "overloaded_error", …}}`), streamed request or not;
/// - `cut-stream` streams the first piece of the answer, then ends the body without finishing the
///   stream (non-streamed requests are answered normally);
/// - an OpenAI-format upstream model name containing `no-usage` streams without the usage chunk
///   even when `stream_options.include_usage` asks for it, as some compatible servers do;
/// - a request with tools (and a tool choice other than none) is answered with a tool call
///   (`toolArguments[0]`), or two tool calls in one turn when the model name is `two-tools`; the
///   tool named by a forcing tool choice is called, otherwise the first tool (the second call uses
///   the second tool when there is one). A request whose last message carries tool results is
///   answered with text, as a model does after using a tool;
/// - the fault names of `FakeProvider+Faults.swift` (`hang`, `stall-stream`, `delay-N`,
///   `slow-tail`, `flaky-N`, `retry-after-N`, `retry-after-ms-N`, `fail-first-N`) inject those faults;
/// - anything else is answered with the text of ``answer`` (or the one given to the initialiser).
///
/// Usage is reported as the real APIs report it: OpenAI with `prompt_tokens_details.cached_tokens`
/// in the response (and, when `stream_options.include_usage` is set, `"usage": null` on every chunk
/// and a final chunk with empty `choices`), Anthropic with input tokens in `message_start` and
/// output tokens in `message_delta`.
///
/// `GET /fake/requests` lists the requests received so far (`{"data": [{"path", "body"}]}`), for
/// tests that run the fake in another process.
public final class FakeProvider: Sendable {
    /// A request the fake received.
    public struct Received: Sendable {
        public var path: String
        public var headers: HTTPHeaders
        public var body: JSONValue
    }

    /// What to answer instead of a normal response.
    public enum Failure: Sendable {
        case status(Int, body: String, headers: HTTPHeaders)
        /// Stream some text, then end the body without finishing the stream.
        case truncateStream
    }

    public let server: HTTPServer
    private let received = Locked<[Received]>([])
    private let failure = Locked<Failure?>(nil)
    /// Requests per upstream model name, for the injected faults.
    let faultCounters = Locked<[String: Int]>([:])
    /// The text every answer contains.
    public static let answer = ["Hello", ", ", "world", "!"]
    /// The arguments (JSON text) of the first and second tool call of a turn.
    public static let toolArguments = [
        #"{"location":"Paris, France","unit":"celsius","days":3}"#,
        #"{"location":"Tokyo, Japan","unit":"fahrenheit","days":1}"#,
    ]
    /// The ids of the first and second tool call of a turn, in OpenAI's format.
    public static let openAIToolCallIDs = ["call_fk1Xq7ZtB9sLmQ2wRv4yHn8c", "call_fk2Pd3JeW6uKaT5gXo1iMb7r"]
    /// The ids of the first and second tool call of a turn, in Anthropic's format.
    public static let anthropicToolUseIDs = ["toolu_01FkXq7ZtB9sLmQ2wRv4yHn8", "toolu_01FkPd3JeW6uKaT5gXo1iMb7"]
    /// What the fake's `/v1/messages/count_tokens` answers.
    public static let countedInputTokens = 2095
    /// How many characters of the arguments each streamed fragment carries.
    static let fragmentLength = 9

    /// Starts the fake on `127.0.0.1:port` (0 picks a free port; read it back from ``port``),
    /// answering text requests with `answer` (streamed one piece per event).
    public init(port: Int = 0, answer: [String] = FakeProvider.answer) throws {
        let received = self.received
        let failure = self.failure
        let counters = self.faultCounters
        var router = Router()
        router.post("/v1/chat/completions") { request, _ in
            let body = try JSONValue(parsing: request.body)
            received.withLock { $0.append(Received(path: request.path, headers: request.headers, body: body)) }
            if let f = failure.value { return Self.fail(f, anthropic: false) ?? Self.openAIStream(body: body, answer: answer, truncate: true) }
            if let fault = await Self.injectFault(body, anthropic: false, counters: counters) { return fault }
            let behaviour = Behaviour(request: body, anthropic: false)
            if case .status(let status) = behaviour { return Self.errorResponse(status: status, anthropic: false, model: body["model"]?.stringValue ?? "") }
            let stream = body["stream"]?.boolValue == true
            if case .toolCalls(let names) = behaviour {
                return stream ? Self.openAIToolStream(body: body, names: names) : Self.openAIToolResponse(body: body, names: names)
            }
            return stream ? Self.openAIStream(body: body, answer: answer, truncate: behaviour == .cutStream) : Self.openAIResponse(body: body, answer: answer)
        }
        router.post("/v1/messages") { request, _ in
            let body = try JSONValue(parsing: request.body)
            received.withLock { $0.append(Received(path: request.path, headers: request.headers, body: body)) }
            if let f = failure.value { return Self.fail(f, anthropic: true) ?? Self.anthropicStream(body: body, answer: answer, truncate: true) }
            if let fault = await Self.injectFault(body, anthropic: true, counters: counters) { return fault }
            let behaviour = Behaviour(request: body, anthropic: true)
            if case .status(let status) = behaviour { return Self.errorResponse(status: status, anthropic: true, model: body["model"]?.stringValue ?? "") }
            let stream = body["stream"]?.boolValue == true
            if case .toolCalls(let names) = behaviour {
                return stream ? Self.anthropicToolStream(body: body, names: names) : Self.anthropicToolResponse(body: body, names: names)
            }
            return stream ? Self.anthropicStream(body: body, answer: answer, truncate: behaviour == .cutStream) : Self.anthropicResponse(body: body, answer: answer)
        }
        router.post("/v1/messages/count_tokens") { request, _ in
            let body = try JSONValue(parsing: request.body)
            received.withLock { $0.append(Received(path: request.path, headers: request.headers, body: body)) }
            if case .status(let status) = Behaviour(request: body, anthropic: true) {
                return Self.errorResponse(status: status, anthropic: true, model: body["model"]?.stringValue ?? "")
            }
            return .json(bytes: JSONValue.object(["input_tokens": .number(JSONNumber(Self.countedInputTokens))]).serialized())
        }
        router.get("/fake/requests") { _, _ in
            let list = received.value.map { r -> JSONValue in ["path": .string(r.path), "body": r.body] }
            return .json(bytes: JSONValue.object(["data": .array(list)]).serialized())
        }
        Self.registerEmbeddings(in: &router, received: received, failure: failure, counters: counters)
        let (sink, _) = LogSink.memory()
        server = HTTPServer(configuration: .init(host: "127.0.0.1", port: port, threads: 1), responder: router.buildResponder(), logger: Logger(label: "fake", sink: sink))
        try server.start()
    }

    /// The bound port.
    public var port: Int { server.port }
    public var openAIBaseURL: String { "http://127.0.0.1:\(server.port)/v1" }
    public var anthropicBaseURL: String { "http://127.0.0.1:\(server.port)" }

    /// Every request received so far.
    public var requests: [Received] { received.value }

    /// Makes every following request fail this way (nil restores normal answers).
    public func fail(with f: Failure?) { failure.value = f }

    public func stop() async { await server.shutdown(gracePeriod: .seconds(1)) }

    static func fail(_ f: Failure, anthropic: Bool) -> Response? {
        switch f {
        case .status(let status, let body, let headers):
            var h = headers
            h.replaceOrAdd(name: "content-type", value: "application/json")
            return Response(status: status, headers: h, body: .bytes(Array(body.utf8)))
        case .truncateStream:
            return nil
        }
    }

    // MARK: Behaviour

    /// What a request asks of the fake, from its model name, tools and messages.
    enum Behaviour: Equatable {
        case text
        case cutStream
        case status(Int)
        /// Call these tools, in order.
        case toolCalls([String])

        init(request body: JSONValue, anthropic: Bool) {
            let model = body["model"]?.stringValue ?? ""
            if model.hasPrefix("status-"), let status = Int(model.dropFirst("status-".count)), (400...599).contains(status) {
                self = .status(status)
                return
            }
            if model == "cut-stream" {
                self = .cutStream
                return
            }
            let names = Self.toolNames(body, anthropic: anthropic)
            let choice = Self.toolChoice(body, anthropic: anthropic)
            guard !names.isEmpty, choice.mode != "none", !Self.endsWithToolResult(body, anthropic: anthropic) else {
                self = .text
                return
            }
            let first = choice.forced ?? names[0]
            if model == "two-tools" {
                self = .toolCalls([first, choice.forced ?? (names.count > 1 ? names[1] : names[0])])
            } else {
                self = .toolCalls([first])
            }
        }

        static func toolNames(_ body: JSONValue, anthropic: Bool) -> [String] {
            (body["tools"]?.arrayValue ?? []).compactMap { tool in
                anthropic ? tool["name"]?.stringValue : tool["function"]?["name"]?.stringValue
            }
        }

        /// The tool choice's mode (`none`, `auto`, …) and the tool it forces, if any.
        static func toolChoice(_ body: JSONValue, anthropic: Bool) -> (mode: String, forced: String?) {
            guard let choice = body["tool_choice"] else { return ("auto", nil) }
            if let mode = choice.stringValue { return (mode, nil) }
            if anthropic {
                let type = choice["type"]?.stringValue ?? "auto"
                return (type, type == "tool" ? choice["name"]?.stringValue : nil)
            }
            return ("function", choice["function"]?["name"]?.stringValue)
        }

        static func endsWithToolResult(_ body: JSONValue, anthropic: Bool) -> Bool {
            guard let last = body["messages"]?.arrayValue?.last else { return false }
            if !anthropic { return last["role"]?.stringValue == "tool" }
            return (last["content"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == "tool_result" }
        }
    }

    /// `arguments` cut into the fragments a stream sends.
    static func fragments(_ arguments: String) -> [String] {
        var out: [String] = []
        var rest = Substring(arguments)
        while !rest.isEmpty {
            out.append(String(rest.prefix(fragmentLength)))
            rest = rest.dropFirst(fragmentLength)
        }
        return out
    }

    // MARK: Errors

    /// The provider's error answer for `status`, as the real API words it.
    static func errorResponse(status: Int, anthropic: Bool, model: String) -> Response {
        var headers: HTTPHeaders = [:]
        if status == 429 { headers.add(name: "retry-after", value: "2") }
        if anthropic {
            headers.add(name: "request-id", value: "req_011FakeRequestId0000001")
            let (type, message): (String, String) = switch status {
            case 400: ("invalid_request_error", "messages: at least one message is required")
            case 401: ("authentication_error", "invalid x-api-key")
            case 403: ("permission_error", "Your API key does not have permission to use the specified resource.")
            case 404: ("not_found_error", "model: \(model)")
            case 413: ("request_too_large", "Request exceeds the maximum allowed number of bytes.")
            case 429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit")
            case 503, 529: ("overloaded_error", "Overloaded")
            case 500...: ("api_error", "Internal server error")
            default: ("invalid_request_error", "The request was rejected.")
            }
            let body: JSONValue = ["type": "error", "error": ["type": .string(type), "message": .string(message)], "request_id": "req_011FakeRequestId0000001"]
            return .json(bytes: body.serialized(), status: status, headers: headers)
        }
        headers.add(name: "x-request-id", value: "req_fake0123456789abcdef")
        let (type, message, code, param): (String, String, JSONValue, JSONValue) = switch status {
        case 400: ("invalid_request_error", "Invalid value for 'messages': the conversation is malformed.", "invalid_value", "messages")
        case 401: ("invalid_request_error", "Incorrect API key provided: sk-up***cret. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_api_key", nil)
        case 403: ("invalid_request_error", "You are not allowed to sample from this model", nil, nil)
        case 404: ("invalid_request_error", "The model `\(model)` does not exist or you do not have access to it.", "model_not_found", nil)
        case 429: ("requests", "Rate limit reached for \(model) in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 2s.", "rate_limit_exceeded", nil)
        case 503: ("server_error", "The server is overloaded or not ready yet.", nil, nil)
        case 500...: ("server_error", "The server had an error while processing your request. Sorry about that!", nil, nil)
        default: ("invalid_request_error", "The request was rejected.", nil, nil)
        }
        let body: JSONValue = ["error": ["message": .string(message), "type": .string(type), "param": param, "code": code]]
        return .json(bytes: body.serialized(), status: status, headers: headers)
    }

    // MARK: OpenAI

    static let openAIUsage: JSONValue = [
        "prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16,
        "prompt_tokens_details": ["cached_tokens": 8, "audio_tokens": 0],
        "completion_tokens_details": ["reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0],
    ]

    static func openAICompletion(model: String, message: JSONValue, finish: String) -> Response {
        let json: JSONValue = [
            "id": "chatcmpl-fake123", "object": "chat.completion", "created": 1_700_000_000, "model": .string(model),
            "choices": [["index": 0, "message": message, "logprobs": nil, "finish_reason": .string(finish)]],
            "usage": openAIUsage, "service_tier": "default", "system_fingerprint": "fp_fake0001",
        ]
        return .json(bytes: json.serialized())
    }

    static func openAIResponse(body: JSONValue, answer: [String]) -> Response {
        openAICompletion(
            model: body["model"]?.stringValue ?? "unknown",
            message: ["role": "assistant", "content": .string(answer.joined()), "refusal": nil, "annotations": []],
            finish: "stop")
    }

    static func openAIToolResponse(body: JSONValue, names: [String]) -> Response {
        let calls = names.enumerated().map { i, name -> JSONValue in
            ["id": .string(openAIToolCallIDs[i]), "type": "function", "function": ["name": .string(name), "arguments": .string(toolArguments[i])]]
        }
        return openAICompletion(
            model: body["model"]?.stringValue ?? "unknown",
            message: ["role": "assistant", "content": nil, "tool_calls": .array(calls), "refusal": nil, "annotations": []],
            finish: "tool_calls")
    }

    /// Writes an OpenAI stream: the role chunk, `deltas`, the finish chunk, the usage chunk when asked for, `[DONE]`.
    static func openAIStream(body: JSONValue, deltas: [JSONValue], finish: String, truncate: Bool) -> Response {
        let model = body["model"]?.stringValue ?? "unknown"
        // A model whose name contains `no-usage` behaves like servers that ignore `include_usage`.
        let includeUsage = body["stream_options"]?["include_usage"]?.boolValue == true && !model.contains("no-usage")
        return .eventStream { writer in
            func chunk(_ delta: JSONValue, finish: JSONValue = nil) -> String {
                var c: JSONObject = ["id": "chatcmpl-fake123", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": .string(model),
                                     "service_tier": "default", "system_fingerprint": "fp_fake0001",
                                     "choices": [["index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish]]]
                if includeUsage { c["usage"] = .null }
                return JSONValue.object(c).serializedString()
            }
            for (i, delta) in deltas.enumerated() {
                try await writer.write(event: ServerSentEvent(data: chunk(delta)))
                if truncate, i >= 1 { return }
            }
            try await writer.write(event: ServerSentEvent(data: chunk([:], finish: .string(finish))))
            if includeUsage {
                let usage: JSONValue = ["id": "chatcmpl-fake123", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": .string(model),
                                        "service_tier": "default", "system_fingerprint": "fp_fake0001", "choices": [], "usage": openAIUsage]
                try await writer.write(event: ServerSentEvent(data: usage.serializedString()))
            }
            try await writer.write(event: ServerSentEvent(data: "[DONE]"))
        }
    }

    static func openAIStream(body: JSONValue, answer: [String], truncate: Bool) -> Response {
        let deltas: [JSONValue] = [["role": "assistant", "content": "", "refusal": nil]] + answer.map { ["content": .string($0)] }
        return openAIStream(body: body, deltas: deltas, finish: "stop", truncate: truncate)
    }

    /// Tool calls as OpenAI streams them: the first fragment of each call brings `index`, `id`,
    /// `type` and `function.name` with empty arguments; the arguments follow in several fragments
    /// that carry only `index` and `function.arguments`.
    static func openAIToolStream(body: JSONValue, names: [String]) -> Response {
        var deltas: [JSONValue] = []
        for (i, name) in names.enumerated() {
            let start: JSONValue = ["index": JSONValue(i), "id": .string(openAIToolCallIDs[i]), "type": "function", "function": ["name": .string(name), "arguments": ""]]
            deltas.append(i == 0 ? ["role": "assistant", "content": nil, "tool_calls": [start], "refusal": nil] : ["tool_calls": [start]])
            for piece in fragments(toolArguments[i]) {
                deltas.append(["tool_calls": [["index": JSONValue(i), "function": ["arguments": .string(piece)]]]])
            }
        }
        return openAIStream(body: body, deltas: deltas, finish: "tool_calls", truncate: false)
    }

    // MARK: Anthropic

    static let anthropicUsage: JSONValue = ["input_tokens": 5, "output_tokens": 4, "cache_read_input_tokens": 7, "cache_creation_input_tokens": 2, "service_tier": "standard"]

    static func anthropicMessage(model: String, content: [JSONValue], stopReason: String) -> Response {
        let json: JSONValue = [
            "id": "msg_fake123", "type": "message", "role": "assistant", "model": .string(model),
            "content": .array(content), "stop_reason": .string(stopReason), "stop_sequence": nil, "usage": anthropicUsage,
        ]
        return .json(bytes: json.serialized())
    }

    static func anthropicResponse(body: JSONValue, answer: [String]) -> Response {
        anthropicMessage(model: body["model"]?.stringValue ?? "unknown", content: [["type": "text", "text": .string(answer.joined())]], stopReason: "end_turn")
    }

    static func anthropicToolResponse(body: JSONValue, names: [String]) -> Response {
        let blocks = names.enumerated().map { i, name -> JSONValue in
            // The arguments are fixed, valid JSON.
            ["type": "tool_use", "id": .string(anthropicToolUseIDs[i]), "name": .string(name), "input": (try? JSONValue(parsing: toolArguments[i])) ?? [:]]
        }
        return anthropicMessage(model: body["model"]?.stringValue ?? "unknown", content: blocks, stopReason: "tool_use")
    }

    /// Writes an Anthropic stream: `message_start`, what `blocks` writes, `message_delta` with the
    /// stop reason and output tokens, `message_stop`. `blocks` returns false to end the body there.
    static func anthropicStream(body: JSONValue, stopReason: String, blocks: @escaping @Sendable (_ send: (String, JSONValue) async throws -> Void) async throws -> Bool) -> Response {
        let model = body["model"]?.stringValue ?? "unknown"
        return .eventStream { writer in
            func send(_ event: String, _ data: JSONValue) async throws {
                try await writer.write(event: ServerSentEvent(event: event, data: data.serializedString()))
            }
            try await send("message_start", ["type": "message_start", "message": [
                "id": "msg_fake123", "type": "message", "role": "assistant", "content": [], "model": .string(model), "stop_reason": nil, "stop_sequence": nil,
                "usage": ["input_tokens": 5, "output_tokens": 1, "cache_read_input_tokens": 7, "cache_creation_input_tokens": 2, "service_tier": "standard"]]])
            guard try await blocks(send) else { return }
            try await send("message_delta", ["type": "message_delta", "delta": ["stop_reason": .string(stopReason), "stop_sequence": nil], "usage": ["output_tokens": 4]])
            try await send("message_stop", ["type": "message_stop"])
        }
    }

    static func anthropicStream(body: JSONValue, answer: [String], truncate: Bool) -> Response {
        anthropicStream(body: body, stopReason: "end_turn") { send in
            try await send("content_block_start", ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]])
            try await send("ping", ["type": "ping"])
            for piece in answer {
                try await send("content_block_delta", ["type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": .string(piece)]])
                if truncate { return false }
            }
            try await send("content_block_stop", ["type": "content_block_stop", "index": 0])
            return true
        }
    }

    /// Tool calls as Anthropic streams them: a `tool_use` block starts with empty `input`, then
    /// `input_json_delta` events carry `partial_json` fragments (the first one empty).
    static func anthropicToolStream(body: JSONValue, names: [String]) -> Response {
        anthropicStream(body: body, stopReason: "tool_use") { send in
            for (i, name) in names.enumerated() {
                let index = JSONValue(i)
                try await send("content_block_start", ["type": "content_block_start", "index": index,
                                                       "content_block": ["type": "tool_use", "id": .string(anthropicToolUseIDs[i]), "name": .string(name), "input": [:]]])
                if i == 0 { try await send("ping", ["type": "ping"]) }
                for piece in [""] + fragments(toolArguments[i]) {
                    try await send("content_block_delta", ["type": "content_block_delta", "index": index, "delta": ["type": "input_json_delta", "partial_json": .string(piece)]])
                }
                try await send("content_block_stop", ["type": "content_block_stop", "index": index])
            }
            return true
        }
    }
}
