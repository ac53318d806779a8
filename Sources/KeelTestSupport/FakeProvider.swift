import Foundation
import KeelCore
import KeelHTTP

/// A fake model provider on Keel's own HTTP engine, speaking OpenAI's Chat Completions
/// (`POST /v1/chat/completions`) and Anthropic's Messages (`POST /v1/messages`) wire formats, streamed
/// and not, with recorded requests and injectable failures. Point a provider's `base_url` at
/// `openAIBaseURL` or `anthropicBaseURL`.
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
    /// The text every answer contains.
    public static let answer = ["Hello", ", ", "world", "!"]

    public init() throws {
        let received = self.received
        let failure = self.failure
        var router = Router()
        router.post("/v1/chat/completions") { request, _ in
            let body = try JSONValue(parsing: request.body)
            received.withLock { $0.append(Received(path: request.path, headers: request.headers, body: body)) }
            if let f = failure.value { return Self.fail(f, anthropic: false) ?? Self.openAIStream(body: body, truncate: true) }
            return body["stream"]?.boolValue == true ? Self.openAIStream(body: body, truncate: false) : Self.openAIResponse(body: body)
        }
        router.post("/v1/messages") { request, _ in
            let body = try JSONValue(parsing: request.body)
            received.withLock { $0.append(Received(path: request.path, headers: request.headers, body: body)) }
            if let f = failure.value { return Self.fail(f, anthropic: true) ?? Self.anthropicStream(body: body, truncate: true) }
            return body["stream"]?.boolValue == true ? Self.anthropicStream(body: body, truncate: false) : Self.anthropicResponse(body: body)
        }
        Self.registerEmbeddings(in: &router, received: received, failure: failure)
        let (sink, _) = LogSink.memory()
        server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0, threads: 1), responder: router.buildResponder(), logger: Logger(label: "fake", sink: sink))
        try server.start()
    }

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

    static func openAIResponse(body: JSONValue) -> Response {
        let model = body["model"]?.stringValue ?? "unknown"
        let json: JSONValue = [
            "id": "chatcmpl-fake123", "object": "chat.completion", "created": 1_700_000_000, "model": .string(model),
            "choices": [["index": 0, "message": ["role": "assistant", "content": .string(answer.joined())], "logprobs": nil, "finish_reason": "stop"]],
            "usage": ["prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16, "prompt_tokens_details": ["cached_tokens": 8]],
        ]
        return .json(bytes: json.serialized())
    }

    static func openAIStream(body: JSONValue, truncate: Bool) -> Response {
        let model = body["model"]?.stringValue ?? "unknown"
        let includeUsage = body["stream_options"]?["include_usage"]?.boolValue == true
        return .eventStream { writer in
            func chunk(_ delta: JSONValue, finish: JSONValue = nil) -> String {
                var c: JSONObject = ["id": "chatcmpl-fake123", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": .string(model),
                                     "choices": [["index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish]]]
                if includeUsage { c["usage"] = nil }
                return JSONValue.object(c).serializedString()
            }
            try await writer.write(event: ServerSentEvent(data: chunk(["role": "assistant", "content": ""])))
            for piece in answer {
                try await writer.write(event: ServerSentEvent(data: chunk(["content": .string(piece)])))
                if truncate { return }
            }
            try await writer.write(event: ServerSentEvent(data: chunk([:], finish: "stop")))
            if includeUsage {
                let usage: JSONValue = ["id": "chatcmpl-fake123", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": .string(model), "choices": [],
                                        "usage": ["prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16, "prompt_tokens_details": ["cached_tokens": 8]]]
                try await writer.write(event: ServerSentEvent(data: usage.serializedString()))
            }
            try await writer.write(event: ServerSentEvent(data: "[DONE]"))
        }
    }

    static func anthropicResponse(body: JSONValue) -> Response {
        let model = body["model"]?.stringValue ?? "unknown"
        let json: JSONValue = [
            "id": "msg_fake123", "type": "message", "role": "assistant", "model": .string(model),
            "content": [["type": "text", "text": .string(answer.joined())]], "stop_reason": "end_turn", "stop_sequence": nil,
            "usage": ["input_tokens": 5, "output_tokens": 4, "cache_read_input_tokens": 7, "cache_creation_input_tokens": 2],
        ]
        return .json(bytes: json.serialized())
    }

    static func anthropicStream(body: JSONValue, truncate: Bool) -> Response {
        let model = body["model"]?.stringValue ?? "unknown"
        return .eventStream { writer in
            func send(_ event: String, _ data: JSONValue) async throws {
                try await writer.write(event: ServerSentEvent(event: event, data: data.serializedString()))
            }
            try await send("message_start", ["type": "message_start", "message": [
                "id": "msg_fake123", "type": "message", "role": "assistant", "content": [], "model": .string(model), "stop_reason": nil, "stop_sequence": nil,
                "usage": ["input_tokens": 5, "output_tokens": 1, "cache_read_input_tokens": 7, "cache_creation_input_tokens": 2]]])
            try await send("content_block_start", ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]])
            try await send("ping", ["type": "ping"])
            for piece in answer {
                try await send("content_block_delta", ["type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": .string(piece)]])
                if truncate { return }
            }
            try await send("content_block_stop", ["type": "content_block_stop", "index": 0])
            try await send("message_delta", ["type": "message_delta", "delta": ["stop_reason": "end_turn", "stop_sequence": nil], "usage": ["output_tokens": 4]])
            try await send("message_stop", ["type": "message_stop"])
        }
    }
}
