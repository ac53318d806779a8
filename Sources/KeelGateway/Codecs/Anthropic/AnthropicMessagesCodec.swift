#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KeelCore

/// The Anthropic Messages API (`POST /v1/messages`): Keel's inbound API for Anthropic clients (the
/// Anthropic SDKs, Claude Code) and the wire format of Anthropic upstreams.
///
/// When a request comes in as Anthropic and goes out to an Anthropic upstream, the gateway forwards
/// the original JSON and never calls this codec's request decoder; everything here is about
/// translating to and from the other APIs through ``ChatRequest`` and ``ChatResponse``.
///
/// Translation decisions:
/// - Inbound, unknown top-level members (`thinking`, `service_tier`, `container`, `mcp_servers`, …)
///   are ignored and not put into ``ChatRequest/extra``, which is forwarded to OpenAI-kind
///   upstreams that would reject Anthropic members. `cache_control` on any block is ignored.
/// - Inbound `thinking` and `redacted_thinking` blocks in assistant messages are dropped: their
///   signatures only mean something to Anthropic, and no other provider accepts them.
/// - Inbound blocks no other provider can carry (`document`, `search_result`, server tool blocks,
///   Files API images) and server tools (`tools[].type` such as `web_search_20250305`) are
///   answered with a 400 naming the block or tool.
/// - Outbound, `max_tokens` defaults to ``defaultMaxTokens`` because Anthropic requires it;
///   `temperature` is clamped to Anthropic's range 0…1; a JSON response format becomes an extra
///   system instruction (Anthropic has no native JSON mode); `n > 1` is a 400; `seed`, OpenAI
///   `metadata`, message `name`s, image `detail` and ``ChatRequest/extra`` are dropped.
/// - Outbound, tool-call arguments that are not a JSON object are a 400 (Anthropic's `input` must
///   be an object, and rewriting the conversation's history silently would mislead the model);
///   empty arguments become `{}`.
public enum AnthropicMessagesCodec {
    /// The `max_tokens` sent upstream when the client set no limit (Anthropic requires one): 4096.
    public static let defaultMaxTokens = 4096
}

// MARK: - Shared helpers

extension AnthropicMessagesCodec {
    /// A 400 in Anthropic's style, `path: problem`, naming `path` as the parameter at fault.
    static func invalid(_ path: String, _ problem: String, code: String? = nil) -> GatewayError {
        GatewayError.invalid("\(path): \(problem)", param: path, code: code)
    }

    static func requiredString(_ value: JSONValue?, _ path: String) throws(GatewayError) -> String {
        guard let value, !value.isNull else { throw invalid(path, "Field required") }
        guard let string = value.stringValue else { throw invalid(path, "Input should be a valid string") }
        return string
    }

    static func optionalString(_ value: JSONValue?, _ path: String) throws(GatewayError) -> String? {
        guard let value, !value.isNull else { return nil }
        guard let string = value.stringValue else { throw invalid(path, "Input should be a valid string") }
        return string
    }

    static func requiredObject(_ value: JSONValue?, _ path: String) throws(GatewayError) -> JSONObject {
        guard let value, !value.isNull else { throw invalid(path, "Field required") }
        guard let object = value.objectValue else { throw invalid(path, "Input should be a valid dictionary") }
        return object
    }

    static func optionalBool(_ value: JSONValue?, _ path: String) throws(GatewayError) -> Bool? {
        guard let value, !value.isNull else { return nil }
        guard let bool = value.boolValue else { throw invalid(path, "Input should be a valid boolean") }
        return bool
    }

    static func optionalInt(_ value: JSONValue?, _ path: String) throws(GatewayError) -> Int? {
        guard let value, !value.isNull else { return nil }
        guard let int = value.intValue else { throw invalid(path, "Input should be a valid integer") }
        return int
    }

    static func optionalDouble(_ value: JSONValue?, _ path: String) throws(GatewayError) -> Double? {
        guard let value, !value.isNull else { return nil }
        guard let double = value.doubleValue else { throw invalid(path, "Input should be a valid number") }
        return double
    }

    /// Tool-call arguments as the object Anthropic's `input` needs: empty text is `{}`, anything
    /// that does not parse to a JSON object is nil.
    static func argumentsObject(_ arguments: String) -> JSONObject? {
        if arguments.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) { return JSONObject() }
        guard let parsed = try? JSONValue(parsing: arguments), case .object(let object) = parsed else { return nil }
        return object
    }

    /// Usage in Anthropic's shape: `input_tokens` excludes cache reads and writes.
    static func usageObject(_ usage: ChatUsage) -> JSONValue {
        [
            "input_tokens": JSONValue(usage.uncachedInputTokens),
            "cache_creation_input_tokens": JSONValue(usage.cacheWriteTokens),
            "cache_read_input_tokens": JSONValue(usage.cachedInputTokens),
            "output_tokens": JSONValue(usage.outputTokens),
        ]
    }

    /// A fresh message id in Anthropic's style (`msg_` and 24 random hex digits).
    static func makeMessageID() -> String {
        "msg_" + Digest.hex(Digest.randomBytes(12))
    }

    /// The current time in Unix seconds.
    @usableFromInline
    static func currentUnixTime() -> Int {
        Int(time(nil))
    }
}
