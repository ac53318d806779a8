import Testing
@testable import KeelCore

@Suite("Logger")
struct LoggerTests {
    @Test("each line is one JSON object with level, label, message and sorted metadata")
    func lineFormat() throws {
        let (sink, lines) = LogSink.memory()
        let logger = Logger(label: "keel.test", sink: sink).with("request_id", "r-1")
        logger.warning("upstream said \"no\"\n", ["status": "503"])
        let written = lines()
        try #require(written.count == 1)
        #expect(written[0].hasSuffix("}\n"))
        let line = try JSONValue(parsing: written[0])
        #expect(line["level"] == "warning")
        #expect(line["label"] == "keel.test")
        #expect(line["msg"] == "upstream said \"no\"\n")
        #expect(line["request_id"] == "r-1")
        #expect(line["status"] == "503")
        #expect(line.objectValue?.keys == ["ts", "level", "label", "msg", "request_id", "status"])
        let timestamp = try #require(line["ts"]?.stringValue)
        #expect(timestamp.count == 24 && timestamp.hasSuffix("Z"))
    }

    @Test("lines below the level are dropped without building the message")
    func levelFilter() {
        let (sink, lines) = LogSink.memory()
        let logger = Logger(label: "t", level: .warning, sink: sink)
        var built = false
        logger.info({ built = true; return "hidden" }())
        logger.error("shown")
        #expect(!built)
        #expect(lines().count == 1)
        #expect(LogLevel(name: "WARN") == .warning)
        #expect(LogLevel(name: "loud") == nil)
    }

    @Test("credential-like metadata keys are redacted", arguments: [
        "authorization", "Proxy-Authorization", "x-api-key", "api-key", "x-goog-api-key", "openai_api_key",
        "master_key", "client_secret", "password", "token", "access_token", "x-amz-security-token", "cookie", "Set-Cookie",
    ])
    func redaction(key: String) throws {
        let (sink, lines) = LogSink.memory()
        Logger(label: "t", sink: sink).info("m", [key: "sk-live-123"])
        let line = try #require(lines().first)
        #expect(!line.contains("sk-live-123"))
        #expect(try JSONValue(parsing: line)[key] == "[REDACTED]")
    }

    @Test("ordinary metadata keys are written as they are", arguments: ["input_tokens", "max_tokens", "model", "key_name"])
    func noRedaction(key: String) throws {
        let (sink, lines) = LogSink.memory()
        Logger(label: "t", sink: sink).info("m", [key: "42"])
        #expect(try JSONValue(parsing: try #require(lines().first))[key] == "42")
    }

    @Test("a Secret never prints its value")
    func secret() {
        let secret = Secret("sk-live-123")
        var dumped = ""
        dump(secret, to: &dumped)
        for text in [secret.description, "\(secret)", String(reflecting: secret), dumped] {
            #expect(!text.contains("sk-live-123"))
        }
        #expect(secret.reveal() == "sk-live-123")
    }
}
