/// Keel's whole configuration, as read from `keel.yaml` by ``ConfigLoader``.
///
/// Every section has defaults, so code and tests can build a configuration directly:
/// `KeelConfig(providers: [ProviderConfig(name: "openai", kind: .openai)], models: [...])`.
public struct KeelConfig: Sendable, Equatable {
    /// `server` — listening, limits, logging. Default: ``ServerConfig/init(listen:masterKey:maxBodyBytes:maxConnections:idleTimeout:shutdownTimeout:threads:logLevel:)`` defaults.
    public var server: ServerConfig
    /// `storage` — where state is kept. Default: SQLite at `./keel-data/keel.db`.
    public var storage: StorageConfig
    /// `providers` — a mapping from provider name to provider, kept in file order. Default: none.
    public var providers: [ProviderConfig]
    /// `models` — the models clients can ask for, in file order. Default: none.
    public var models: [ModelConfig]
    /// `guardrails` — detector policies, their bindings and custom entities. Default: none.
    public var guardrails: GuardrailsConfig = GuardrailsConfig()
    /// `telemetry` — trace export and content capture. Default: nothing set (the `OTEL_*` environment decides).
    public var telemetry = TelemetryConfig()
    /// `auth` — virtual-key limits per model and single sign-on with JWTs. Default: no SSO, no model limits.
    public var auth: AuthConfig = AuthConfig()

    /// Creates a configuration; every section defaults to its documented defaults.
    public init(
        server: ServerConfig = ServerConfig(),
        storage: StorageConfig = StorageConfig(),
        providers: [ProviderConfig] = [],
        models: [ModelConfig] = []
    ) {
        self.server = server
        self.storage = storage
        self.providers = providers
        self.models = models
    }

    /// The provider with this name, if any.
    public func provider(named name: String) -> ProviderConfig? {
        providers.first { $0.name == name }
    }

    /// The model with this name, if any.
    public func model(named name: String) -> ModelConfig? {
        models.first { $0.name == name }
    }
}

extension KeelConfig {
    /// Decodes the document root. Each top-level section has one decoding function; a new section is
    /// one more `reader.section(…)` line here plus its own `init(decoding:)`.
    init(decoding root: ConfigValue) {
        self.init()
        guard var reader = root.mapping() else { return }
        server = reader.section("server") { ServerConfig(decoding: &$0) } ?? server
        storage = reader.section("storage") { StorageConfig(decoding: &$0) } ?? storage
        providers = reader.take("providers").map(Self.decodeProviders) ?? []
        models = reader.take("models").map(Self.decodeModels) ?? []
        guardrails = reader.section("guardrails") { [models] in GuardrailsConfig(decoding: &$0, models: models.map(\.name)) } ?? guardrails
        telemetry = reader.section("telemetry") { TelemetryConfig(decoding: &$0) } ?? telemetry
        auth = reader.section("auth") { AuthConfig(decoding: &$0) } ?? auth
        reader.finish()
        Self.checkReferences(in: root.context, models: models)
    }

    private static func decodeProviders(_ value: ConfigValue) -> [ProviderConfig] {
        guard var reader = value.mapping() else { return [] }
        var providers: [ProviderConfig] = []
        for (name, keyMark, providerValue) in reader.takeAll() {
            value.context.declaredProviders.append(name)
            let validName = !name.isEmpty && name.allSatisfy {
                $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-")
            }
            if !validName {
                value.context.report(
                    "invalid provider name \(quoted(name)); use letters, digits, \"_\", \".\" and \"-\"",
                    at: keyMark, path: value.path, code: .invalidValue
                )
            }
            guard var providerReader = providerValue.mapping() else { continue }
            let provider = ProviderConfig.decode(name: name, from: &providerReader)
            providerReader.finish()
            if let provider { providers.append(provider) }
        }
        return providers
    }

    private static func decodeModels(_ value: ConfigValue) -> [ModelConfig] {
        guard let items = value.list() else { return [] }
        var models: [ModelConfig] = []
        var firstLine: [String: Int] = [:]
        for item in items {
            guard var reader = item.mapping() else { continue }
            let nameMark = reader.peek("name")?.mark ?? item.mark
            let model = ModelConfig(decoding: &reader)
            reader.finish()
            guard !model.name.isEmpty else { continue }
            if let line = firstLine[model.name] {
                item.context.report(
                    "duplicate model name \(quoted(model.name)) (first defined at line \(line))",
                    at: nameMark, path: item.path.appending("name"), code: .duplicateKey
                )
                continue
            }
            firstLine[model.name] = nameMark.line
            models.append(model)
        }
        return models
    }

    /// Checks that routes name existing providers and fallbacks name other existing models.
    private static func checkReferences(in context: DecodingContext, models: [ModelConfig]) {
        let providerNames = context.declaredProviders
        let modelNames = models.map(\.name)
        for reference in context.references {
            let known: [String]
            let noun: String
            switch reference.target {
            case .provider: (known, noun) = (providerNames, "provider")
            case .model: (known, noun) = (modelNames, "model")
            }
            if reference.target == .model, reference.name == reference.owner {
                context.report("a model cannot fall back to itself", at: reference.mark, path: reference.path, code: .unknownReference)
                continue
            }
            guard !known.contains(reference.name) else { continue }
            var message = "unknown \(noun) \(quoted(reference.name))"
            if let suggestion = Suggestion.closest(to: reference.name, among: known) {
                message += " (did you mean \(quoted(suggestion))?)"
            } else if known.isEmpty {
                message += " (no \(noun)s are configured)"
            } else {
                message += " (configured: \(known.joined(separator: ", ")))"
            }
            context.report(message, at: reference.mark, path: reference.path, code: .unknownReference)
        }
    }
}
