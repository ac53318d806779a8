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

// MARK: - Request errors in Anthropic's wording

extension AnthropicMessagesCodec: ChatCodec {
    /// A 400 in Anthropic's style, `path: problem`, naming `path` as the parameter at fault.
    static func invalid(_ path: String, _ problem: String, code: String? = nil) -> GatewayError {
        GatewayError.invalid("\(path): \(problem)", param: path, code: code)
    }

    static func missingMember(_ path: String) -> GatewayError {
        invalid(path, "Field required")
    }

    static func invalidType(_ path: String, expected: JSONKind, got value: JSONValue) -> GatewayError {
        let name = switch expected {
        case .object: "dictionary"
        case .array: "list"
        case .string: "string"
        case .boolean: "boolean"
        case .integer: "integer"
        case .number: "number"
        }
        return invalid(path, "Input should be a valid \(name)")
    }
}

// MARK: - Shared helpers

extension AnthropicMessagesCodec {
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
}
