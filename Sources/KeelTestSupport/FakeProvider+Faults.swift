import Foundation
import KeelCore
import KeelHTTP

/// Faults the fake injects by upstream model name, for routing and resilience tests. Each model name
/// has its own request counter, so two routes on one fake behave independently.
///
/// - `hang`: never answers (until the client gives up or the fake stops);
/// - `stall-stream`: a streamed request gets its response head, then nothing for 30 s;
/// - `delay-N`: answers normally after N milliseconds;
/// - `slow-tail`: every tenth request (the 10th, 20th, …) answers after 300 ms, the others at once;
/// - `flaky-N`: N of every 100 requests, evenly spread, answer 500; the others normally;
/// - `retry-after-N`: answers 429 with `retry-after: N` (seconds);
/// - `retry-after-ms-N`: answers 429 with `retry-after-ms: N`;
/// - `fail-first-N`: the first N requests answer 503, later ones normally;
/// - `limited-once-N`: the first request answers 429 with `retry-after-ms: N`, later ones normally;
/// - `context-length`: answers OpenAI's 400 `context_length_exceeded`;
/// - `content-filter`: answers Azure OpenAI's 400 `content_filter` refusal.
extension FakeProvider {
    /// How long `slow-tail`'s slow requests take.
    public static let slowTailDelay: Duration = .milliseconds(300)

    /// The fault for `body`'s model, or nil to answer normally (after any delay it asks for).
    static func injectFault(_ body: JSONValue, anthropic: Bool, counters: Locked<[String: Int]>) async -> Response? {
        let model = body["model"]?.stringValue ?? ""
        let stream = body["stream"]?.boolValue == true
        let n = counters.withLock { counts -> Int in
            counts[model, default: 0] += 1
            return counts[model]!
        }
        func number(after prefix: String) -> Int? {
            model.hasPrefix(prefix) ? Int(model.dropFirst(prefix.count)) : nil
        }
        if model == "hang" {
            try? await Task.sleep(for: .seconds(60))
            return errorResponse(status: 504, anthropic: anthropic, model: model)
        }
        if model == "stall-stream", stream {
            return .eventStream { writer in
                try await Task.sleep(for: .seconds(30))
                try await writer.write(event: ServerSentEvent(data: "[DONE]"))
            }
        }
        if let ms = number(after: "delay-") {
            try? await Task.sleep(for: .milliseconds(ms))
            return nil
        }
        if model == "slow-tail" {
            if n % 10 == 0 { try? await Task.sleep(for: slowTailDelay) }
            return nil
        }
        if let percent = number(after: "flaky-") {
            // Request n fails when it crosses the next multiple of 100 in steps of `percent`.
            return (n * percent) / 100 > ((n - 1) * percent) / 100 ? errorResponse(status: 500, anthropic: anthropic, model: model) : nil
        }
        if let ms = number(after: "retry-after-ms-") {
            var response = errorResponse(status: 429, anthropic: anthropic, model: model)
            response.headers.remove(name: "retry-after")
            response.headers.replaceOrAdd(name: "retry-after-ms", value: String(ms))
            return response
        }
        if let seconds = number(after: "retry-after-") {
            var response = errorResponse(status: 429, anthropic: anthropic, model: model)
            response.headers.replaceOrAdd(name: "retry-after", value: String(seconds))
            return response
        }
        if let count = number(after: "fail-first-"), n <= count {
            return errorResponse(status: 503, anthropic: anthropic, model: model)
        }
        if let ms = number(after: "limited-once-"), n == 1 {
            var response = errorResponse(status: 429, anthropic: anthropic, model: model)
            response.headers.remove(name: "retry-after")
            response.headers.replaceOrAdd(name: "retry-after-ms", value: String(ms))
            return response
        }
        if model == "context-length" {
            let error: JSONValue = ["error": [
                "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130017 tokens. Please reduce the length of the messages.",
                "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded",
            ]]
            return .json(bytes: error.serialized(), status: 400)
        }
        if model == "content-filter" {
            let error: JSONValue = ["error": [
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
                "type": nil, "param": "prompt", "code": "content_filter", "status": 400,
            ]]
            return .json(bytes: error.serialized(), status: 400)
        }
        return nil
    }

    /// How many requests the fake has received for `model` (counted by the fault injector).
    public func requestCount(model: String) -> Int {
        faultCounters.value[model] ?? 0
    }
}
