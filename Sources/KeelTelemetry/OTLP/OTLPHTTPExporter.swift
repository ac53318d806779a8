import KeelCore
import KeelHTTP
import Synchronization

/// Exports spans to an OpenTelemetry collector or backend with OTLP over HTTP
/// (`POST {endpoint}/v1/traces`), in `http/protobuf` (default) or `http/json`.
///
/// Retries follow the OTLP specification: `429`, `502`, `503` and `504` responses, and failures
/// to connect or to get an answer, are retried with exponential backoff and jitter, waiting at
/// least what a `Retry-After` header asks for (up to ``Configuration/maxRetryDelay``); any other
/// status drops the batch. Each attempt is limited by ``Configuration/timeout``.
public final class OTLPHTTPExporter: SpanExporter {
    /// The OTLP/HTTP encodings.
    public enum Encoding: String, Sendable, Hashable, CaseIterable {
        /// `http/protobuf`: binary Protocol Buffers, `application/x-protobuf`.
        case protobuf = "http/protobuf"
        /// `http/json`: OTLP/JSON, `application/json`.
        case json = "http/json"

        /// The `Content-Type` of request bodies.
        public var contentType: String {
            switch self {
            case .protobuf: "application/x-protobuf"
            case .json: "application/json"
            }
        }
    }

    /// Where and how to send.
    public struct Configuration: Sendable {
        /// The full traces URL, such as `http://127.0.0.1:4318/v1/traces`.
        public var tracesURL: String
        /// The encoding. Default `http/protobuf`.
        public var encoding: Encoding
        /// Extra request headers (for example an `authorization` for a hosted backend). Default none.
        public var headers: HTTPHeaders
        /// The limit for one export attempt. Default 10 s.
        public var timeout: Duration
        /// Attempts per batch, the first included. Default 5.
        public var maxAttempts: Int
        /// The first retry's backoff; it doubles with each retry. Default 1 s.
        public var initialBackoff: Duration
        /// The longest backoff between two attempts. Default 5 s.
        public var maxBackoff: Duration
        /// The longest wait honoured from `Retry-After`; a longer request drops the batch. Default 30 s.
        public var maxRetryDelay: Duration

        /// A configuration; every argument but the URL defaults as documented on its property.
        public init(
            tracesURL: String,
            encoding: Encoding = .protobuf,
            headers: HTTPHeaders = HTTPHeaders(),
            timeout: Duration = .seconds(10),
            maxAttempts: Int = 5,
            initialBackoff: Duration = .seconds(1),
            maxBackoff: Duration = .seconds(5),
            maxRetryDelay: Duration = .seconds(30)
        ) {
            self.tracesURL = tracesURL
            self.encoding = encoding
            self.headers = headers
            self.timeout = timeout
            self.maxAttempts = max(1, maxAttempts)
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.maxRetryDelay = maxRetryDelay
        }

        /// The traces URL for an OTLP base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT` semantics):
        /// `/v1/traces` appended to its path, with exactly one `/` between them.
        public static func tracesURL(forBaseEndpoint endpoint: String) -> String {
            var base = endpoint
            while base.hasSuffix("/") { base.removeLast() }
            return base + "/v1/traces"
        }
    }

    /// The configuration in force.
    public let configuration: Configuration
    private let client: HTTPClient
    private let ownsClient: Bool
    private let counters = Counters()

    private final class Counters: Sendable {
        let requests = Atomic<Int>(0)
        let retries = Atomic<Int>(0)
        let failedBatches = Atomic<Int>(0)
    }

    /// An exporter sending through `client`, which it shuts down with itself when `ownsClient`
    /// (a client of its own keeps export transfers off the request loops: a batch of hundreds of
    /// kilobytes then never wakes the loops that drive the upstream calls).
    public init(configuration: Configuration, client: HTTPClient, ownsClient: Bool = false) {
        self.configuration = configuration
        self.client = client
        self.ownsClient = ownsClient
    }

    /// Encodes the batch in the configured encoding.
    public func encode(_ spans: [Span], resource: TelemetryResource, scope: InstrumentationScope) -> [UInt8] {
        switch configuration.encoding {
        case .protobuf: OTLPProtobufEncoder.encode(spans, resource: resource, scope: scope)
        case .json: OTLPJSONEncoder.encode(spans, resource: resource, scope: scope)
        }
    }

    /// `http/protobuf` takes spans encoded when they end.
    public var exportsEncodedSpans: Bool { configuration.encoding == .protobuf }

    public func export(_ spans: [Span], resource: TelemetryResource, scope: InstrumentationScope) async -> SpanExportResult {
        guard !spans.isEmpty else { return .success }
        return await send(encode(spans, resource: resource, scope: scope))
    }

    public func export(encoded spans: EncodedSpans, resource: TelemetryResource, scope: InstrumentationScope) async -> SpanExportResult {
        guard spans.count > 0 else { return .success }
        switch configuration.encoding {
        case .protobuf: return await send(OTLPProtobufEncoder.encode(spans, resource: resource, scope: scope))
        case .json: return .failure("an http/json exporter was given protobuf spans")
        }
    }

    /// Sends one request body, retrying as configured.
    private func send(_ body: [UInt8]) async -> SpanExportResult {
        var headers = configuration.headers
        headers["content-type"] = configuration.encoding.contentType
        if !headers.contains("user-agent") { headers["user-agent"] = "keel-otlp-exporter" }
        let request = HTTPClientRequest(
            method: "POST", url: configuration.tracesURL, headers: headers, body: body,
            timeouts: HTTPClientTimeouts(connect: min(configuration.timeout, .seconds(10)), total: configuration.timeout),
            maxResponseBytes: 1 << 20
        )
        var backoff = configuration.initialBackoff
        var attempt = 1
        while true {
            counters.requests.wrappingAdd(1, ordering: .relaxed)
            let outcome = await self.attempt(request)
            let retryAfter: Duration?
            switch outcome {
            case .delivered:
                return .success
            case .rejected(let reason):
                counters.failedBatches.wrappingAdd(1, ordering: .relaxed)
                return .failure(reason)
            case .retryable(let reason, let requested):
                guard attempt < configuration.maxAttempts, !Task.isCancelled else {
                    counters.failedBatches.wrappingAdd(1, ordering: .relaxed)
                    return .failure(reason + " (after \(attempt) attempt\(attempt == 1 ? "" : "s"))")
                }
                if let requested, requested > configuration.maxRetryDelay {
                    counters.failedBatches.wrappingAdd(1, ordering: .relaxed)
                    return .failure(reason + " (the receiver asked to retry after \(requested), more than the \(configuration.maxRetryDelay) allowed)")
                }
                retryAfter = requested
            }
            // Full jitter on the exponential backoff, but never less than Retry-After.
            let jittered = backoff * Double.random(in: 0.5...1.0)
            let delay = max(jittered, retryAfter ?? .zero)
            counters.retries.wrappingAdd(1, ordering: .relaxed)
            do {
                try await Task.sleep(for: delay)
            } catch {
                counters.failedBatches.wrappingAdd(1, ordering: .relaxed)
                return .failure("export cancelled while waiting to retry")
            }
            backoff = min(backoff * 2, configuration.maxBackoff)
            attempt += 1
        }
    }

    public func shutdown() async {
        if ownsClient { client.shutdown() }
    }

    /// Export requests sent (retries included), retries, and batches given up on.
    public var stats: OTLPExporterStats {
        OTLPExporterStats(
            requests: counters.requests.load(ordering: .relaxed),
            retries: counters.retries.load(ordering: .relaxed),
            failedBatches: counters.failedBatches.load(ordering: .relaxed)
        )
    }

    private enum Outcome {
        case delivered
        case rejected(String)
        case retryable(String, retryAfter: Duration?)
    }

    private func attempt(_ request: HTTPClientRequest) async -> Outcome {
        do {
            let (response, _) = try await client.fetch(request, upTo: 1 << 20)
            switch response.status {
            case 200..<300:
                return .delivered
            case 429, 502, 503, 504:
                return .retryable("HTTP \(response.status)", retryAfter: OTLPRetryAfter.delay(response.headers["retry-after"]))
            default:
                return .rejected("HTTP \(response.status)")
            }
        } catch let error as HTTPClientError {
            switch error.code {
            case .invalidRequest, .responseTooLarge, .shutdown:
                return .rejected(error.code.description + ": " + error.message)
            case .cancelled:
                return .rejected("export cancelled")
            default:
                return .retryable(error.code.description + ": " + error.message, retryAfter: nil)
            }
        } catch {
            return .retryable("\(error)", retryAfter: nil)
        }
    }
}

/// Counters of an ``OTLPHTTPExporter``.
public struct OTLPExporterStats: Sendable, Hashable {
    /// HTTP requests sent, retries included.
    public var requests: Int
    /// Retries after a retryable failure.
    public var retries: Int
    /// Batches dropped after a non-retryable answer or the last attempt.
    public var failedBatches: Int
}
