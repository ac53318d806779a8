import Testing
@testable import KeelConfig

@Suite struct TelemetryConfigTests {
    @Test("the full telemetry section decodes")
    func decodes() throws {
        let config = try parseConfig("""
            telemetry:
              otlp:
                endpoint: "http://127.0.0.1:4318/"
                protocol: http/json
                headers: {authorization: "Bearer ${TOKEN}", x-tenant: acme}
                timeout_ms: 2500
              sampling_ratio: 0.25
              capture_content: true
              service_name: keel-eu
              resource_attributes: {deployment.environment.name: prod}
            """, environment: ["TOKEN": "s3cret"])
        let telemetry = config.telemetry
        #expect(telemetry.otlp?.endpoint == "http://127.0.0.1:4318/")
        #expect(telemetry.otlp?.protocol == .httpJSON)
        #expect(telemetry.otlp?.headers == ["authorization": "Bearer s3cret", "x-tenant": "acme"])
        #expect(telemetry.otlp?.timeout == .milliseconds(2500))
        #expect(telemetry.samplingRatio == 0.25)
        #expect(telemetry.captureContent == true)
        #expect(telemetry.serviceName == "keel-eu")
        #expect(telemetry.resourceAttributes == ["deployment.environment.name": "prod"])
        #expect(!String(describing: telemetry).contains("s3cret"))
        #expect(!String(reflecting: telemetry).contains("s3cret"))

        let settings = telemetry.resolved(environment: [:])
        #expect(settings.tracesEndpoint == "http://127.0.0.1:4318/v1/traces")
        #expect(settings.tracingEnabled)
        #expect(settings.protocol == .httpJSON)
        #expect(settings.headers.map(\.name) == ["authorization", "x-tenant"])
        #expect(settings.timeout == .milliseconds(2500))
        #expect(settings.serviceName == "keel-eu")
        #expect(!String(describing: settings).contains("s3cret"))
    }

    @Test("without a telemetry section nothing is exported unless the environment says so")
    func defaults() throws {
        let config = try parseConfig(minimalProviders)
        #expect(config.telemetry == TelemetryConfig())
        let settings = config.telemetry.resolved(environment: [:])
        #expect(settings.tracesEndpoint == nil)
        #expect(!settings.tracingEnabled)
        #expect(settings.protocol == .httpProtobuf)
        #expect(settings.timeout == .seconds(10))
        #expect(settings.samplingRatio == 1)
        #expect(settings.captureContent == false)
        #expect(settings.serviceName == "keel")
        #expect(settings.warnings.isEmpty)
    }

    @Test("OTEL_* variables fill what the file leaves out")
    func environmentDefaults() {
        let settings = TelemetryConfig().resolved(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
            "OTEL_EXPORTER_OTLP_HEADERS": "api-key=abc%20def, x-b=2",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "X-B=3",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "1500",
            "OTEL_SERVICE_NAME": "gateway",
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=ignored,deployment.environment.name=staging,team=a%2Cb",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.1",
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
        ])
        #expect(settings.tracesEndpoint == "http://collector:4318/v1/traces")
        #expect(settings.protocol == .httpJSON)
        #expect(settings.headers.map { "\($0.name)=\($0.value)" } == ["api-key=abc def", "x-b=3"])
        #expect(settings.timeout == .milliseconds(1500))
        #expect(settings.serviceName == "gateway")
        #expect(settings.resourceAttributes.map { "\($0.name)=\($0.value)" } == ["deployment.environment.name=staging", "team=a,b"])
        #expect(settings.samplingRatio == 0.1)
        #expect(settings.captureContent)
        #expect(settings.warnings.isEmpty)

        let traces = TelemetryConfig().resolved(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:9999/custom/path",
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-resource",
        ])
        #expect(traces.tracesEndpoint == "http://traces:9999/custom/path")
        #expect(traces.serviceName == "from-resource")
    }

    @Test("explicit configuration wins over the environment")
    func fileWins() throws {
        let config = try parseConfig("""
            telemetry:
              otlp: {endpoint: "http://file:4318", protocol: http/protobuf, headers: {x-b: file}, timeout_ms: 100}
              sampling_ratio: 0.5
              capture_content: false
              service_name: from-file
              resource_attributes: {deployment.environment.name: file}
            """)
        let settings = config.telemetry.resolved(environment: [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://env:4318/v1/traces",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-b=env,x-c=env",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "9000",
            "OTEL_TRACES_SAMPLER": "always_off",
            "OTEL_SERVICE_NAME": "from-env",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=env,region=eu",
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
        ])
        #expect(settings.tracesEndpoint == "http://file:4318/v1/traces")
        #expect(settings.protocol == .httpProtobuf)
        #expect(settings.headers.map { "\($0.name)=\($0.value)" } == ["x-c=env", "x-b=file"])
        #expect(settings.timeout == .milliseconds(100))
        #expect(settings.samplingRatio == 0.5)
        #expect(settings.captureContent == false)
        #expect(settings.serviceName == "from-file")
        #expect(settings.resourceAttributes.map { "\($0.name)=\($0.value)" } == ["deployment.environment.name=file", "region=eu"])
    }

    @Test("unusable environment values are ignored with a warning; OTEL_SDK_DISABLED switches export off")
    func environmentProblems() {
        let settings = TelemetryConfig().resolved(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "soon",
            "OTEL_TRACES_SAMPLER": "traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "2",
            "OTEL_EXPORTER_OTLP_HEADERS": "novalue",
        ])
        #expect(settings.tracesEndpoint == nil)
        #expect(settings.protocol == .httpProtobuf)
        #expect(settings.timeout == .seconds(10))
        #expect(settings.samplingRatio == 1)
        #expect(settings.warnings.count == 5)
        let disabled = TelemetryConfig(otlp: .init(endpoint: "http://x:4318")).resolved(environment: ["OTEL_SDK_DISABLED": "true"])
        #expect(disabled.tracesEndpoint == nil)
    }

    @Test("bad values are reported with their position", arguments: [
        ("telemetry:\n  otlp: {endpoint: \"collector:4318\"}\n", "not an http:// or https:// URL"),
        ("telemetry:\n  otlp: {endpoint: \"http://x:4317\", protocol: grpc}\n", "gRPC export is not supported"),
        ("telemetry:\n  otlp: {endpoint: \"http://x:4318\", protocol: http/jsn}\n", "did you mean \"http/json\""),
        ("telemetry:\n  sampling_ratio: 1.5\n", "must be between 0 and 1"),
        ("telemetry:\n  sampling_ratio: -0.1\n", "out of range"),
        ("telemetry:\n  capture_content: maybe\n", "expected one of true, false"),
        ("telemetry:\n  otlp: {endpoint: \"http://x:4318\", timeout_ms: 0}\n", "out of range"),
        ("telemetry:\n  otlp: {endpoint: \"http://x:4318\", headers: {\"bad header\": x}}\n", "not a valid HTTP header name"),
        ("telemetry:\n  otlp: {endpont: \"http://x:4318\"}\n", "did you mean \"endpoint\""),
        ("telemetry:\n  sampling: 1\n", "unknown key \"sampling\""),
        ("telemetry:\n  resource_attributes: {service.name: x}\n", "telemetry.service_name"),
    ])
    func rejects(_ yaml: String, _ message: String) throws {
        let error = try #require(configError(yaml))
        #expect(error.description.contains(message), "\(error.description)")
        #expect(error.description.contains("keel.yaml:"))
    }
}
