import Foundation
import KeelCore

/// The `telemetry:` section: OpenTelemetry trace export and what spans may contain.
///
/// ```yaml
/// telemetry:
///   otlp:
///     endpoint: "http://127.0.0.1:4318"     # /v1/traces is appended
///     protocol: http/protobuf                # or http/json
///     headers: {authorization: "Bearer ${OTLP_TOKEN}"}
///     timeout_ms: 10000
///   sampling_ratio: 1.0
///   capture_content: false
///   capture_redaction: pii                 # or none
///   capture_max_bytes: 65536
///   service_name: keel
///   resource_attributes: {deployment.environment.name: prod}
/// ```
///
/// The standard `OTEL_*` environment variables supply defaults for anything the file leaves out
/// (see ``resolved(environment:)``): a value in the file always wins, as OpenTelemetry's
/// configuration rules have explicit configuration override the environment.
public struct TelemetryConfig: Sendable, Equatable, CustomReflectable {
    /// The OTLP/HTTP encodings Keel exports in.
    public enum OTLPProtocol: String, Sendable, Hashable {
        case httpProtobuf = "http/protobuf"
        case httpJSON = "http/json"
    }

    /// `telemetry.otlp` — where traces go. Default: not set (then the environment decides).
    public struct OTLP: Sendable, Equatable, CustomReflectable {
        /// `endpoint` — the OTLP/HTTP base URL; `/v1/traces` is appended. Default: not set.
        public var endpoint: String?
        /// `traces_endpoint` — the full traces URL, used as is (wins over `endpoint`). Default: not set.
        public var tracesEndpoint: String?
        /// `protocol` — `http/protobuf` or `http/json`. Default: not set (`http/protobuf`).
        public var `protocol`: OTLPProtocol?
        /// `headers` — extra request headers, such as a backend's API key. Default none.
        public var headers: [String: String]
        /// `timeout_ms` — the limit for one export request, ≥ 1. Default: not set (10000).
        public var timeout: Duration?

        /// OTLP settings; everything unset by default.
        public init(endpoint: String? = nil, tracesEndpoint: String? = nil, protocol: OTLPProtocol? = nil, headers: [String: String] = [:], timeout: Duration? = nil) {
            self.endpoint = endpoint
            self.tracesEndpoint = tracesEndpoint
            self.protocol = `protocol`
            self.headers = headers
            self.timeout = timeout
        }

        /// Header values may hold credentials: only their names are shown.
        public var customMirror: Mirror {
            Mirror(self, children: [
                "endpoint": endpoint as Any, "tracesEndpoint": tracesEndpoint as Any, "protocol": `protocol` as Any,
                "headers": headers.keys.sorted().map { "\($0): ********" }, "timeout": timeout as Any,
            ], displayStyle: .struct)
        }
    }

    /// How captured prompts and completions are redacted before they are kept.
    public enum CaptureRedaction: String, Sendable, Hashable {
        /// The `pii` detector's standard entity types and the `secrets` detector, replaced by
        /// placeholders such as `[EMAIL_1]`.
        case pii
        /// Kept as sent and answered.
        case none
    }

    /// `otlp` — the exporter. Default: not set.
    public var otlp: OTLP?
    /// `sampling_ratio` — the fraction of new traces recorded, 0…1. Requests that continue an
    /// inbound `traceparent` follow the caller's sampled flag. Default: not set (1).
    public var samplingRatio: Double?
    /// `capture_content` — record prompts and completions on request spans and with the request
    /// log entry (`GET /admin/requests/{id}`), redacted as ``captureRedaction`` says. Default: not
    /// set (false).
    public var captureContent: Bool?
    /// `capture_redaction` — `pii` (the PII and secrets detectors' redaction) or `none`. Default:
    /// not set (`pii`).
    public var captureRedaction: CaptureRedaction?
    /// `capture_max_bytes` — the most UTF-8 bytes kept of each side (prompt, answer), 1024…16777216;
    /// longer content is cut and marked truncated. Default: not set (65536).
    public var captureMaxBytes: Int?
    /// `service_name` — the `service.name` resource attribute. Default: not set (`keel`).
    public var serviceName: String?
    /// `resource_attributes` — more resource attributes. Default none.
    public var resourceAttributes: [String: String]

    /// Telemetry settings; everything unset by default.
    public init(
        otlp: OTLP? = nil, samplingRatio: Double? = nil, captureContent: Bool? = nil,
        serviceName: String? = nil, resourceAttributes: [String: String] = [:],
        captureRedaction: CaptureRedaction? = nil, captureMaxBytes: Int? = nil
    ) {
        self.otlp = otlp
        self.samplingRatio = samplingRatio
        self.captureContent = captureContent
        self.captureRedaction = captureRedaction
        self.captureMaxBytes = captureMaxBytes
        self.serviceName = serviceName
        self.resourceAttributes = resourceAttributes
    }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "otlp": otlp as Any, "samplingRatio": samplingRatio as Any, "captureContent": captureContent as Any,
            "captureRedaction": captureRedaction as Any, "captureMaxBytes": captureMaxBytes as Any,
            "serviceName": serviceName as Any, "resourceAttributes": resourceAttributes,
        ], displayStyle: .struct)
    }
}

// MARK: - Effective settings

/// The telemetry settings in force once the file and the environment are combined.
public struct TelemetrySettings: Sendable, Equatable, CustomReflectable {
    /// The traces URL; nil when no endpoint is configured anywhere (tracing is off).
    public var tracesEndpoint: String?
    /// The encoding.
    public var `protocol`: TelemetryConfig.OTLPProtocol
    /// Request headers, in a stable order (names lowercased).
    public var headers: [(name: String, value: String)]
    /// The limit for one export request.
    public var timeout: Duration
    /// The fraction of new traces recorded.
    public var samplingRatio: Double
    /// Whether prompts and completions are recorded.
    public var captureContent: Bool
    /// `service.name`.
    public var serviceName: String
    /// Other resource attributes, sorted by name.
    public var resourceAttributes: [(name: String, value: String)]
    /// Environment values that were ignored, with the reason (to log at start-up).
    public var warnings: [String]
    /// How recorded prompts and completions are redacted.
    public var captureRedaction: TelemetryConfig.CaptureRedaction = .pii
    /// The most UTF-8 bytes recorded of each side.
    public var captureMaxBytes: Int = TelemetryConfig.defaultCaptureMaxBytes

    /// Whether spans are exported.
    public var tracingEnabled: Bool { tracesEndpoint != nil }

    public static func == (lhs: TelemetrySettings, rhs: TelemetrySettings) -> Bool {
        lhs.tracesEndpoint == rhs.tracesEndpoint && lhs.protocol == rhs.protocol
            && lhs.headers.elementsEqual(rhs.headers, by: { $0 == $1 }) && lhs.timeout == rhs.timeout
            && lhs.samplingRatio == rhs.samplingRatio && lhs.captureContent == rhs.captureContent
            && lhs.captureRedaction == rhs.captureRedaction && lhs.captureMaxBytes == rhs.captureMaxBytes
            && lhs.serviceName == rhs.serviceName && lhs.resourceAttributes.elementsEqual(rhs.resourceAttributes, by: { $0 == $1 })
            && lhs.warnings == rhs.warnings
    }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "tracesEndpoint": tracesEndpoint as Any, "protocol": `protocol`, "headers": headers.map { "\($0.name): ********" },
            "timeout": timeout, "samplingRatio": samplingRatio, "captureContent": captureContent,
            "captureRedaction": captureRedaction, "captureMaxBytes": captureMaxBytes,
            "serviceName": serviceName, "resourceAttributes": resourceAttributes.map { "\($0.name)=\($0.value)" }, "warnings": warnings,
        ], displayStyle: .struct)
    }
}

extension TelemetryConfig {
    /// The default export timeout.
    public static let defaultTimeout: Duration = .seconds(10)
    /// The default `capture_max_bytes`: 64 KiB per side.
    public static let defaultCaptureMaxBytes = 65_536

    /// Combines the file with the standard OpenTelemetry environment variables. For every setting
    /// the file wins; the environment fills what the file leaves out; then the default applies.
    ///
    /// | Setting | Environment (first match) | Default |
    /// |---|---|---|
    /// | traces URL | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (as is), `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`) | none: tracing off |
    /// | protocol | `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` |
    /// | headers | `OTEL_EXPORTER_OTLP_HEADERS`, then `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (merged; the file's headers override by name) | none |
    /// | timeout | `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT` (ms) | 10 s |
    /// | sampling | `OTEL_TRACES_SAMPLER` (`always_on`, `always_off`, `traceidratio`, `parentbased_*`) with `OTEL_TRACES_SAMPLER_ARG` | 1 |
    /// | service name | `OTEL_SERVICE_NAME`, `service.name` in `OTEL_RESOURCE_ATTRIBUTES` | `keel` |
    /// | resource | `OTEL_RESOURCE_ATTRIBUTES` (`k=v,…`, percent-decoded; the file's attributes override by name) | none |
    /// | content capture | `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` (`true`/`false`) | false |
    ///
    /// `capture_redaction` (default `pii`) and `capture_max_bytes` (default 65536) come from the
    /// file only.
    ///
    /// `OTEL_SDK_DISABLED=true` switches trace export off whatever else is set. An unusable
    /// environment value (an unknown protocol such as `grpc`, a malformed number) is ignored and
    /// reported in ``TelemetrySettings/warnings``.
    public func resolved(environment: [String: String]) -> TelemetrySettings {
        var warnings: [String] = []
        func env(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }

        var endpoint: String?
        if let traces = otlp?.tracesEndpoint {
            endpoint = traces
        } else if let base = otlp?.endpoint {
            endpoint = Self.tracesURL(forBase: base)
        } else if let traces = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            endpoint = traces
        } else if let base = env("OTEL_EXPORTER_OTLP_ENDPOINT") {
            endpoint = Self.tracesURL(forBase: base)
        }
        if let candidate = endpoint, otlp?.tracesEndpoint == nil, otlp?.endpoint == nil, let problem = ProviderConfig.urlProblem(candidate) {
            warnings.append("OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT ignored: \(problem)")
            endpoint = nil
        }
        if env("OTEL_SDK_DISABLED")?.lowercased() == "true" {
            endpoint = nil
        }

        var proto = otlp?.protocol
        if proto == nil {
            for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
                guard let value = env(name) else { continue }
                if let parsed = OTLPProtocol(rawValue: value) {
                    proto = parsed
                } else {
                    warnings.append("\(name)=\(value) ignored: Keel exports with http/protobuf or http/json")
                }
                break
            }
        }

        var headers: [(name: String, value: String)] = []
        func mergeHeader(_ name: String, _ value: String) {
            let lowered = name.lowercased()
            headers.removeAll { $0.name == lowered }
            headers.append((lowered, value))
        }
        for name in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
            guard let value = env(name) else { continue }
            guard let pairs = Self.parseKeyValueList(value) else {
                warnings.append("\(name) ignored: expected key=value pairs separated by commas")
                continue
            }
            for pair in pairs { mergeHeader(pair.key, pair.value) }
        }
        for (name, value) in (otlp?.headers ?? [:]).sorted(by: { $0.key < $1.key }) { mergeHeader(name, value) }

        var timeout = otlp?.timeout
        if timeout == nil {
            for name in ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"] {
                guard let value = env(name) else { continue }
                if let milliseconds = Int(value), milliseconds > 0 {
                    timeout = .milliseconds(milliseconds)
                } else {
                    warnings.append("\(name)=\(value) ignored: expected a positive number of milliseconds")
                }
                break
            }
        }

        var ratio = samplingRatio
        if ratio == nil, let sampler = env("OTEL_TRACES_SAMPLER")?.lowercased() {
            switch sampler {
            case "always_on", "parentbased_always_on": ratio = 1
            case "always_off", "parentbased_always_off": ratio = 0
            case "traceidratio", "parentbased_traceidratio":
                if let arg = env("OTEL_TRACES_SAMPLER_ARG") {
                    if let value = Double(arg), value >= 0, value <= 1 {
                        ratio = value
                    } else {
                        warnings.append("OTEL_TRACES_SAMPLER_ARG=\(arg) ignored: expected a number between 0 and 1")
                    }
                }
            default:
                warnings.append("OTEL_TRACES_SAMPLER=\(sampler) ignored: Keel's sampler is parent-based with a trace id ratio")
            }
        }

        var resource: [String: String] = [:]
        if let value = env("OTEL_RESOURCE_ATTRIBUTES") {
            if let pairs = Self.parseKeyValueList(value) {
                for pair in pairs { resource[pair.key] = pair.value }
            } else {
                warnings.append("OTEL_RESOURCE_ATTRIBUTES ignored: expected key=value pairs separated by commas")
            }
        }
        let environmentServiceName = env("OTEL_SERVICE_NAME") ?? resource["service.name"]
        resource["service.name"] = nil
        for (name, value) in resourceAttributes { resource[name] = value }
        resource["service.name"] = nil

        var capture = captureContent
        if capture == nil, let value = env("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")?.lowercased() {
            capture = value == "true"
        }

        return TelemetrySettings(
            tracesEndpoint: endpoint,
            protocol: proto ?? .httpProtobuf,
            headers: headers,
            timeout: timeout ?? Self.defaultTimeout,
            samplingRatio: ratio ?? 1,
            captureContent: capture ?? false,
            serviceName: serviceName ?? environmentServiceName ?? "keel",
            resourceAttributes: resource.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) },
            warnings: warnings,
            captureRedaction: captureRedaction ?? .pii,
            captureMaxBytes: captureMaxBytes ?? Self.defaultCaptureMaxBytes
        )
    }

    /// `base` with `/v1/traces` appended to its path (one `/` between them).
    static func tracesURL(forBase base: String) -> String {
        var trimmed = base
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed + "/v1/traces"
    }

    /// The W3C Baggage-like `key=value,key=value` list of `OTEL_EXPORTER_OTLP_HEADERS` and
    /// `OTEL_RESOURCE_ATTRIBUTES`, percent-decoded; nil when an entry has no `=` or an empty key.
    static func parseKeyValueList(_ text: String) -> [(key: String, value: String)]? {
        var pairs: [(key: String, value: String)] = []
        for item in text.split(separator: ",") {
            let entry = item.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            guard let equals = entry.firstIndex(of: "=") else { return nil }
            let key = entry[..<equals].trimmingCharacters(in: .whitespaces)
            let rawValue = entry[entry.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, let decodedKey = key.removingPercentEncoding, let value = rawValue.removingPercentEncoding else { return nil }
            pairs.append((decodedKey, value))
        }
        return pairs
    }
}

// MARK: - Decoding

extension TelemetryConfig {
    init(decoding reader: inout MappingReader) {
        self.init()
        otlp = reader.section("otlp") { OTLP(decoding: &$0) }
        if let value = reader.take("sampling_ratio"), let ratio = value.number(minimum: 0) {
            if ratio > 1 {
                value.report("\(ratio) is out of range: must be between 0 and 1")
            } else {
                samplingRatio = ratio
            }
        }
        captureContent = reader.choice("capture_content", ["true": true, "false": false])
        captureRedaction = reader.choice("capture_redaction", ["pii": .pii, "none": .none])
        captureMaxBytes = reader.int("capture_max_bytes", .between(1024, 16 << 20))
        if let value = reader.take("service_name"), let name = value.string() {
            if name.isEmpty { value.report("must not be empty") } else { serviceName = name }
        }
        if let value = reader.take("resource_attributes"), var attributes = value.mapping() {
            for (name, keyMark, attributeValue) in attributes.takeAll() {
                guard !name.isEmpty else {
                    value.context.report("resource attribute names may not be empty", at: keyMark, path: value.path, code: .invalidValue)
                    continue
                }
                if name == "service.name" {
                    value.context.report("set service.name with telemetry.service_name", at: keyMark, path: value.path, code: .invalidValue)
                    continue
                }
                if let text = attributeValue.text(expected: "a string") { resourceAttributes[name] = text }
            }
        }
    }
}

extension TelemetryConfig.OTLP {
    static let protocols: KeyValuePairs<String, TelemetryConfig.OTLPProtocol> = [
        "http/protobuf": .httpProtobuf, "http/json": .httpJSON,
    ]

    init(decoding reader: inout MappingReader) {
        self.init()
        for key in ["endpoint", "traces_endpoint"] {
            guard let value = reader.take(key), let text = value.string() else { continue }
            if let problem = ProviderConfig.urlProblem(text) {
                value.report(problem)
            } else if key == "endpoint" {
                endpoint = text
            } else {
                tracesEndpoint = text
            }
        }
        if let value = reader.take("protocol"), let text = value.string() {
            if text == "grpc" {
                value.report("gRPC export is not supported; use http/protobuf or http/json (a collector's port 4318)")
            } else if let parsed = Self.protocols.first(where: { $0.key == text })?.value {
                `protocol` = parsed
            } else {
                _ = value.choice(Self.protocols)
            }
        }
        headers = reader.take("headers").flatMap(ConfigValue.httpHeaders) ?? [:]
        timeout = reader.milliseconds("timeout_ms", .atLeast(1))
    }
}
