/// The entity producing telemetry (an OTLP `Resource`): `service.name` and friends.
public struct TelemetryResource: Sendable, Hashable {
    /// The resource attributes, `service.name` first.
    public var attributes: SpanAttributes

    /// A resource for `serviceName`, with further attributes (which cannot override `service.name`).
    ///
    /// - Parameters:
    ///   - serviceName: `service.name`. Default `keel`.
    ///   - serviceVersion: `service.version`, when known.
    ///   - attributes: Other attributes, such as `deployment.environment.name`.
    public init(serviceName: String = "keel", serviceVersion: String? = nil, attributes: SpanAttributes = SpanAttributes()) {
        var all = SpanAttributes()
        all["service.name"] = .string(serviceName)
        all.set("service.version", serviceVersion)
        for (key, value) in attributes where key != "service.name" {
            all[key] = value
        }
        all["telemetry.sdk.name"] = all["telemetry.sdk.name"] ?? "keel"
        all["telemetry.sdk.language"] = all["telemetry.sdk.language"] ?? "swift"
        self.attributes = all
    }

    /// `service.name`.
    public var serviceName: String {
        if case .string(let name)? = attributes["service.name"] { return name }
        return "keel"
    }
}

/// The instrumentation that produced the spans (an OTLP `InstrumentationScope`).
public struct InstrumentationScope: Sendable, Hashable {
    /// The scope name, such as `keel.gateway`.
    public var name: String
    /// The scope version, or empty.
    public var version: String

    /// A scope.
    public init(name: String, version: String = "") {
        self.name = name
        self.version = version
    }

    /// Keel's gateway instrumentation.
    public static let keel = InstrumentationScope(name: "keel")
}
