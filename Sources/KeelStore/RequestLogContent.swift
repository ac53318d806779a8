/// The prompt and answer captured with one request (telemetry `capture_content`), kept in the
/// `request_content` table beside its ``RequestLogEntry`` and deleted with it.
///
/// Both sides are JSON arrays of messages in the OpenTelemetry GenAI conventions' shape (the same
/// text as the span attributes `gen_ai.input.messages` and `gen_ai.output.messages`), already
/// redacted and cut to the configured size by the gateway; the store keeps them as they come.
public struct RequestLogContent: Sendable, Equatable, Hashable, Codable {
    /// The request's system instructions and messages; nil when they could not be read.
    public var input: String?
    /// The answer's messages; nil when there was no answer (a failed request) or it was not read.
    public var output: String?
    /// Whether ``input`` was cut to fit the size limit.
    public var inputTruncated: Bool
    /// Whether ``output`` was cut to fit the size limit.
    public var outputTruncated: Bool
    /// How the texts were redacted before they were captured: `pii` or `none`.
    public var redaction: String

    /// Captured content; nothing truncated and no redaction by default.
    public init(input: String? = nil, output: String? = nil, inputTruncated: Bool = false, outputTruncated: Bool = false, redaction: String = "none") {
        self.input = input
        self.output = output
        self.inputTruncated = inputTruncated
        self.outputTruncated = outputTruncated
        self.redaction = redaction
    }
}
