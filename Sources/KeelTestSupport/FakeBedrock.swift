import Foundation
import KeelCore
import KeelGateway
import KeelHTTP

/// A fake Amazon Bedrock Runtime on Keel's own HTTP engine: Converse, ConverseStream (a real binary
/// `application/vnd.amazon.eventstream`) and InvokeModel for Titan and Cohere text embeddings.
///
/// Every request must be authorized like the real service: either `Authorization: Bearer` with the
/// fake's API key, or a SigV4 signature that the fake recomputes from the request it received with
/// the known credentials (``credentials``, region ``region``, service `bedrock`), checking the
/// payload hash and, with a session token, `x-amz-security-token`. A wrong signature is answered
/// `403` with `x-amzn-errortype: InvalidSignatureException`, as Bedrock does.
///
/// Point a `bedrock` provider's `base_url` at ``baseURL``.
public final class FakeBedrock: Sendable {
    /// A request the fake received and accepted.
    public struct Received: Sendable {
        /// The model id from the path (percent-decoded).
        public var modelID: String
        /// `converse`, `converse-stream` or `invoke`.
        public var operation: String
        public var headers: HTTPHeaders
        public var body: JSONValue
        /// Whether it was authorized by a SigV4 signature the fake verified (false: bearer key).
        public var signatureVerified: Bool
    }

    /// What the model answers.
    public enum Reply: Sendable {
        /// ``answer`` as text, `end_turn`.
        case text
        /// An optional text, then these tool calls (`input` is JSON text), `tool_use`.
        case tools(text: String?, calls: [(id: String, name: String, input: String)])
    }

    /// What to answer instead of a normal response.
    public enum Failure: Sendable {
        /// An HTTP error: `{"message"}` with `x-amzn-errortype: TYPE:http://internal.amazon.com/coral/com.amazon.bedrock/`.
        case status(Int, type: String, message: String, headers: HTTPHeaders = [:])
        /// Stream `messageStart` and one text delta, then an exception message of this type
        /// (`modelStreamErrorException`, `throttlingException`, …).
        case exceptionMidStream(type: String, message: String)
        /// Stream `messageStart` and one text delta, then half a message, then end the body.
        case truncateStream
        /// Stream `messageStart`, then a text delta whose message CRC is wrong.
        case corruptStream
    }

    /// The text every text answer contains, in stream pieces.
    public static let answer = ["Hello", ", ", "world", "!"]
    /// Usage of every answer: 10 uncached input tokens, 6 read from and 2 written to the cache, 4 output tokens.
    public static let usage: JSONValue = ["inputTokens": 10, "outputTokens": 4, "totalTokens": 22, "cacheReadInputTokens": 6, "cacheWriteInputTokens": 2]

    public let server: HTTPServer
    /// The credentials the fake expects signatures from.
    public let credentials: AWSCredentials
    /// The region the fake expects in the credential scope.
    public let region: String
    /// The Bedrock API key the fake accepts as a bearer token.
    public let apiKey: String
    private let received = Locked<[Received]>([])
    private let failure = Locked<Failure?>(nil)
    private let reply = Locked<Reply>(.text)
    private let rejected = Locked<Int>(0)

    public init(
        credentials: AWSCredentials = AWSCredentials(accessKeyID: "AKIAFAKEBEDROCK0001", secretAccessKey: Secret("fake/bedrock+secret/key/0123456789abcdefghij")),
        region: String = "us-west-2",
        apiKey: String = "ABSKfakeBedrockApiKey0123456789"
    ) throws {
        self.credentials = credentials
        self.region = region
        self.apiKey = apiKey
        let received = self.received
        let failure = self.failure
        let reply = self.reply
        let rejected = self.rejected
        var router = Router()
        router.post("/model/*") { request, _ in
            guard let (modelID, operation) = Self.target(request.path) else {
                return Self.error(404, type: "UnknownOperationException", message: "No such operation.")
            }
            let verified: Bool
            switch Self.authorize(request, modelID: modelID, operation: operation, credentials: credentials, region: region, apiKey: apiKey) {
            case .bearer: verified = false
            case .signature: verified = true
            case .rejected(let response):
                rejected.withLock { $0 += 1 }
                return response
            }
            let body = try JSONValue(parsing: request.body)
            received.withLock { $0.append(Received(modelID: modelID, operation: operation, headers: request.headers, body: body, signatureVerified: verified)) }
            if case .status(let status, let type, let message, let headers)? = failure.value {
                var response = Self.error(status, type: type, message: message)
                for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
                return response
            }
            switch operation {
            case "converse": return Self.converse(reply.value)
            case "converse-stream": return Self.converseStream(reply.value, failure: failure.value)
            case "invoke": return Self.invoke(modelID: modelID, body: body)
            default: return Self.error(404, type: "UnknownOperationException", message: "No such operation.")
            }
        }
        let (sink, _) = LogSink.memory()
        server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0, threads: 1), responder: router.buildResponder(), logger: Logger(label: "fake-bedrock", sink: sink))
        try server.start()
    }

    /// The provider `base_url` that reaches this fake.
    public var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// Every accepted request so far.
    public var requests: [Received] { received.value }

    /// How many requests were refused for a missing or wrong signature or key.
    public var rejectedCount: Int { rejected.value }

    /// Makes every following request fail this way (nil restores normal answers).
    public func fail(with f: Failure?) { failure.value = f }

    /// Sets what the model answers from now on.
    public func reply(with r: Reply) { reply.value = r }

    public func stop() async { await server.shutdown(gracePeriod: .seconds(1)) }

    // MARK: - Authorization

    enum Authorization {
        case bearer
        case signature
        case rejected(Response)
    }

    /// The model id and operation of a decoded `/model/{modelId}/{operation}` path.
    static func target(_ path: String) -> (String, String)? {
        guard path.hasPrefix("/model/"), let slash = path.lastIndex(of: "/") else { return nil }
        let start = path.index(path.startIndex, offsetBy: 7)
        guard slash > start else { return nil }
        return (String(path[start..<slash]), String(path[path.index(after: slash)...]))
    }

    static func authorize(_ request: Request, modelID: String, operation: String, credentials: AWSCredentials, region: String, apiKey: String) -> Authorization {
        guard let authorization = request.headers.first("authorization") else {
            return .rejected(error(403, type: "MissingAuthenticationTokenException", message: "Missing Authentication Token"))
        }
        if authorization.hasPrefix("Bearer ") {
            let given = Array(authorization.dropFirst(7).utf8)
            return Digest.constantTimeEquals(given, Array(apiKey.utf8))
                ? .bearer
                : .rejected(error(403, type: "UnrecognizedClientException", message: "Authentication failed: Please make sure your API Key is valid."))
        }
        let invalid = Authorization.rejected(error(403, type: "InvalidSignatureException", message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."))
        guard authorization.hasPrefix(AWSSigV4.algorithm + " ") else { return invalid }
        var fields: [String: String] = [:]
        for part in authorization.dropFirst(AWSSigV4.algorithm.count + 1).split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let eq = trimmed.firstIndex(of: "=") else { return invalid }
            fields[String(trimmed[..<eq])] = String(trimmed[trimmed.index(after: eq)...])
        }
        guard let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"], let signature = fields["Signature"],
              let amzDate = request.headers.first("x-amz-date"), let date = parseAMZDate(amzDate) else { return invalid }
        let scope = credential.split(separator: "/").map(String.init)
        guard scope.count == 5, scope[0] == credentials.accessKeyID else {
            return .rejected(error(403, type: "UnrecognizedClientException", message: "The security token included in the request is invalid."))
        }
        guard scope[1] == String(amzDate.prefix(8)), scope[2] == region, scope[3] == "bedrock", scope[4] == "aws4_request" else { return invalid }
        guard request.headers.first("x-amz-content-sha256") == Digest.hex(Digest.sha256(request.body)) else { return invalid }
        if let token = credentials.sessionToken {
            guard request.headers.first("x-amz-security-token") == token.reveal() else {
                return .rejected(error(403, type: "UnrecognizedClientException", message: "The security token included in the request is invalid."))
            }
        }
        let names = signedHeaders.split(separator: ";").map(String.init)
        guard names.contains("host"), names.contains("x-amz-date") else { return invalid }
        var headers = HTTPHeaders()
        for name in names {
            for value in request.headers.values(name) { headers.add(name: name, value: value) }
        }
        guard let host = request.headers.first("host") else { return invalid }
        let url = "http://\(host)/model/\(AWSSigV4.uriEncode(modelID, encodeSlash: true))/\(operation)"
        let signer = AWSSigV4(credentials: credentials, region: region, service: "bedrock")
        guard let expected = try? signer.sign(method: request.method, url: url, headers: headers, body: request.body, date: date),
              expected.signedHeaders == signedHeaders,
              Digest.constantTimeEquals(Array(expected.signature.utf8), Array(signature.utf8)) else { return invalid }
        return .signature
    }

    /// The date of an `x-amz-date` value (`YYYYMMDD'T'HHMMSS'Z'`).
    static func parseAMZDate(_ text: String) -> Date? {
        let chars = Array(text.utf8)
        guard chars.count == 16, chars[8] == UInt8(ascii: "T"), chars[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: chars[range], as: UTF8.self)) }
        guard let y = number(0..<4), let m = number(4..<6), let d = number(6..<8),
              let hh = number(9..<11), let mm = number(11..<13), let ss = number(13..<15) else { return nil }
        // Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hh * 3600 + mm * 60 + ss))
    }

    // MARK: - Answers

    static func error(_ status: Int, type: String, message: String) -> Response {
        var response = Response.json(bytes: JSONValue.object(["message": .string(message)]).serialized(), status: status)
        response.headers.add(name: "x-amzn-errortype", value: "\(type):http://internal.amazon.com/coral/com.amazon.bedrock/")
        response.headers.add(name: "x-amzn-requestid", value: "1b0f6e6e-fake-4d0e-9c51-7a3a0d7d0001")
        return response
    }

    static func converse(_ reply: Reply) -> Response {
        var content: [JSONValue] = []
        let stopReason: String
        switch reply {
        case .text:
            content = [["text": .string(answer.joined())]]
            stopReason = "end_turn"
        case .tools(let text, let calls):
            if let text { content.append(["text": .string(text)]) }
            for call in calls {
                let input = (try? JSONValue(parsing: call.input)) ?? [:]
                content.append(["toolUse": ["toolUseId": .string(call.id), "name": .string(call.name), "input": input]])
            }
            stopReason = "tool_use"
        }
        let json: JSONValue = [
            "output": ["message": ["role": "assistant", "content": .array(content)]],
            "stopReason": .string(stopReason),
            "usage": usage,
            "metrics": ["latencyMs": 321],
        ]
        return .json(bytes: json.serialized())
    }

    /// One event stream message, as Bedrock frames it (with its `p` padding member).
    static func eventMessage(_ type: String, _ payload: JSONValue) -> [UInt8] {
        var padded = payload
        padded.withObject { $0["p"] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM" }
        return (try? AWSEventStreamEncoder.encode(headers: [
            ":event-type": .string(type), ":content-type": .string("application/json"), ":message-type": .string("event"),
        ], payload: padded.serialized())) ?? []
    }

    static func exceptionMessage(_ type: String, message: String) -> [UInt8] {
        (try? AWSEventStreamEncoder.encode(headers: [
            ":exception-type": .string(type), ":content-type": .string("application/json"), ":message-type": .string("exception"),
        ], payload: JSONValue.object(["message": .string(message)]).serialized())) ?? []
    }

    static func converseStream(_ reply: Reply, failure: Failure?) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/vnd.amazon.eventstream")
        headers.add(name: "x-amzn-requestid", value: "1b0f6e6e-fake-4d0e-9c51-7a3a0d7d0002")
        return Response(status: 200, headers: headers, body: .stream { writer in
            try await writer.write(eventMessage("messageStart", ["role": "assistant"]))
            // The first delta arrives in two writes, split inside its prelude.
            let first = eventMessage("contentBlockDelta", ["contentBlockIndex": 0, "delta": ["text": .string(answer[0])]])
            switch failure {
            case .exceptionMidStream(let type, let message)?:
                try await writer.write(first)
                try await writer.write(exceptionMessage(type, message: message))
                return
            case .truncateStream?:
                try await writer.write(first)
                try await writer.write(Array(first.prefix(first.count / 2)))
                return
            case .corruptStream?:
                var corrupt = first
                corrupt[corrupt.count - 1] ^= 0xFF
                try await writer.write(corrupt)
                return
            case .status?, nil:
                break
            }
            var block = 0
            var stopReason = "end_turn"
            switch reply {
            case .text:
                try await writer.write(Array(first.prefix(5)))
                try await writer.write(Array(first.dropFirst(5)))
                for piece in answer.dropFirst() {
                    try await writer.write(eventMessage("contentBlockDelta", ["contentBlockIndex": 0, "delta": ["text": .string(piece)]]))
                }
                try await writer.write(eventMessage("contentBlockStop", ["contentBlockIndex": 0]))
            case .tools(let text, let calls):
                if let text {
                    try await writer.write(eventMessage("contentBlockDelta", ["contentBlockIndex": 0, "delta": ["text": .string(text)]]))
                    try await writer.write(eventMessage("contentBlockStop", ["contentBlockIndex": 0]))
                    block = 1
                }
                for call in calls {
                    try await writer.write(eventMessage("contentBlockStart", ["contentBlockIndex": JSONValue(block), "start": ["toolUse": ["toolUseId": .string(call.id), "name": .string(call.name)]]]))
                    var rest = Substring(call.input)
                    while !rest.isEmpty {
                        let fragment = rest.prefix(7)
                        rest = rest.dropFirst(7)
                        try await writer.write(eventMessage("contentBlockDelta", ["contentBlockIndex": JSONValue(block), "delta": ["toolUse": ["input": .string(String(fragment))]]]))
                    }
                    try await writer.write(eventMessage("contentBlockStop", ["contentBlockIndex": JSONValue(block)]))
                    block += 1
                }
                stopReason = "tool_use"
            }
            try await writer.write(eventMessage("messageStop", ["stopReason": .string(stopReason)]))
            try await writer.write(eventMessage("metadata", ["usage": usage, "metrics": ["latencyMs": 321]]))
        })
    }

    /// A deterministic vector for `text`: its length, its first byte and 0.5, then zeros up to `dimensions`.
    public static func vector(for text: String, dimensions: Int) -> [Double] {
        var v = [Double(text.utf8.count), Double(text.utf8.first ?? 0), 0.5]
        while v.count < dimensions { v.append(0) }
        return Array(v.prefix(dimensions))
    }

    static func invoke(modelID: String, body: JSONValue) -> Response {
        if modelID.contains("amazon.titan-embed-text") {
            guard let text = body["inputText"]?.stringValue else {
                return error(400, type: "ValidationException", message: "Malformed input request: required key [inputText] not found, please reformat your input and try again.")
            }
            let vector = Self.vector(for: text, dimensions: body["dimensions"]?.intValue ?? 8)
            let json: JSONValue = [
                "embedding": .array(vector.map { JSONValue($0) }),
                "embeddingsByType": ["float": .array(vector.map { JSONValue($0) })],
                "inputTextTokenCount": JSONValue(text.split(separator: " ").count),
            ]
            return .json(bytes: json.serialized())
        }
        if modelID.contains("cohere.embed") {
            guard let texts = body["texts"]?.arrayValue?.compactMap(\.stringValue) else {
                return error(400, type: "ValidationException", message: "Malformed input request: required key [texts] not found, please reformat your input and try again.")
            }
            let vectors: [JSONValue] = texts.map { .array(Self.vector(for: $0, dimensions: 8).map { JSONValue($0) }) }
            let json: JSONValue = ["embeddings": .array(vectors), "id": "emb-fake-1", "response_type": "embeddings_floats", "texts": .array(texts.map { .string($0) })]
            return .json(bytes: json.serialized())
        }
        return error(400, type: "ValidationException", message: "The provided model identifier is invalid.")
    }
}
