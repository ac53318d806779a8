import Foundation
import KeelConfig
import KeelCore
import KeelGateway
import KeelGovernance
import KeelHTTP
import KeelStore
import KeelTelemetry

/// Errors that stop Keel from starting.
public struct StartupError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Checks what the configuration asks for that this build cannot serve (beyond what
/// `ConfigLoader` validates). `keel check-config` and `buildApplication` both call it, so a file
/// that passes the check also starts.
public func checkServable(_ config: KeelConfig) throws(StartupError) {
    if case .postgres = config.storage.url {
        throw StartupError("storage.url: PostgreSQL storage is not available in this version of Keel; use sqlite:PATH")
    }
}

/// The composition root: builds every component from the configuration and wires the routes.
/// Tests call it directly (with `server.listen` on port 0); `keel serve` calls it too.
///
/// - Parameter environment: where the `OTEL_*` variables are read from (the process environment by default).
public func buildApplication(config: KeelConfig, logger: Logger? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Application {
    let logger = logger ?? Logger(label: "keel", level: config.server.logLevel)
    try checkServable(config)
    let store: any Store
    switch config.storage.url {
    case .sqlite(let path):
        do {
            store = try SQLiteStore(path: path, flushInterval: config.storage.flushInterval, logger: logger.labeled("keel.store"))
        } catch {
            throw StartupError("cannot open the store at \(path): \(error)")
        }
    case .postgres:
        preconditionFailure("refused by checkServable")
    }
    let metrics = MetricsRegistry()
    ProcessMetrics.register(in: metrics)
    let httpMetrics = HTTPServerMetrics(registry: metrics)

    let errorFormat: @Sendable (String) -> ErrorFormat = { path in path.hasPrefix("/v1/messages") ? .anthropic : .openAI }
    var router = Router()
    router.unmatchedErrorFormat = errorFormat
    router.use(RequestLogMiddleware())
    router.use(MetricsMiddleware(metrics: httpMetrics))
    // One set of event loops serves the connections and makes the upstream calls, so a proxied
    // request stays on one thread from the client's bytes to the provider's answer.
    let loops = EventLoopGroup(threads: config.server.threads, busyPoll: config.server.busyPoll)
    let client = HTTPClient(group: loops)
    // Governance (KeelGovernance): authentication of every /v1 and /admin request, the /admin control plane.
    let governance: Governance
    do {
        governance = try Governance.open(config: config, client: client, logger: logger.labeled("keel.governance"))
    } catch {
        loops.shutdown()
        throw StartupError("cannot start governance: \(error)")
    }
    router.use(GovernanceMiddleware(governance: governance))
    AdminRoutes(governance: governance).register(in: &router)
    // End of governance wiring.
    OperationsRoutes(store: store, metrics: metrics).register(in: &router)
    ModelsRoutes(config: config, created: Int(Date().timeIntervalSince1970)).register(in: &router)
    // One guardrails engine for /v1/guardrails/apply and the gateway's chat requests; both count
    // their actions in keel_guardrail_actions_total.
    let guardrailsRoutes = try GuardrailsRoutes(config: config, metrics: metrics)
    guardrailsRoutes.register(in: &router)

    // Telemetry: one tracer for the whole process (nil when no OTLP endpoint is configured).
    let settings = config.telemetry.resolved(environment: environment)
    let telemetryLogger = logger.labeled("keel.telemetry")
    for warning in settings.warnings { telemetryLogger.warning(warning) }
    let tracer = makeTracer(settings, logger: telemetryLogger)
    tracer?.registerMetrics(in: metrics)
    let genAIMetrics = GenAIMetrics(registry: metrics)
    // Captured prompts and answers (span and request log) go through their own PII and secrets redaction.
    var redactor: ContentRedactor?
    if settings.captureContent, settings.captureRedaction == .pii {
        do {
            redactor = try ContentRedactor.pii()
        } catch {
            loops.shutdown()
            throw StartupError("telemetry.capture_redaction: \(error)")
        }
    }
    let capture = ContentCapture(enabled: settings.captureContent, maxBytes: settings.captureMaxBytes)
    // Cached answers are partitioned by the caller's team (the gateway's default partition).
    let gateway = Gateway(
        config: config, client: client, store: store, logger: logger.labeled("keel.gateway"),
        governance: governance, guardrails: guardrailsRoutes.guardrails,
        telemetry: GatewayTelemetry(tracer: tracer, metrics: genAIMetrics, capture: capture, redactor: redactor)
    )
    gateway.register(in: &router)
    registerGatewayGauges(gateway, genAIMetrics: genAIMetrics, in: metrics)
    RoutesHealthRoutes(routing: gateway.routing, governance: governance).register(in: &router)
    ConsoleRoutes().register(in: &router)
    let feedback = try FeedbackRoutes.openFeedbackStore(config)
    FeedbackRoutes(store: store, feedback: feedback, tracer: tracer).register(in: &router)
    // The request log is scoped like spend: the master key sees everything, team admins and
    // viewers their own team's requests (captured prompts and answers included), developers nothing.
    RequestLogRoutes(store: store, feedback: feedback, scope: { _, context in
        guard let caller = context.attributes[CallerKey.self] else { return .all }
        switch caller.role {
        case .superAdmin: return .all
        case .teamAdmin, .viewer:
            guard let team = caller.teamID else { throw GovernanceError(.permissionDenied, "This key belongs to no team.") }
            return RequestLogScope(team: team)
        case .developer:
            throw GovernanceError(.permissionDenied, "Developer keys cannot read the request log; ask a team admin or use a viewer key.")
        }
    }).register(in: &router)
    var retention: RequestLogRetention?
    if config.storage.retentionDays > 0, let pruning = store as? any RequestLogPruning {
        retention = RequestLogRetention(days: config.storage.retentionDays, store: pruning, logger: logger.labeled("keel.store"))
    }

    let server = HTTPServer(
        configuration: .init(
            host: config.server.listen.host,
            port: config.server.listen.port,
            threads: config.server.threads,
            maxConnections: config.server.maxConnections,
            idleTimeoutSeconds: Int(config.server.idleTimeout.components.seconds),
            maxBodyBytes: config.server.maxBodyBytes,
            errorFormat: errorFormat
        ),
        responder: router.buildResponder(),
        logger: logger.labeled("keel.http"),
        group: loops
    )
    return Application(
        config: config, server: server, client: client, loops: loops, store: store, governance: governance, metrics: metrics, logger: logger,
        gateway: gateway, tracer: tracer, feedback: feedback, retention: retention
    )
}

/// A tracer exporting with OTLP/HTTP as `settings` say, or nil when no endpoint is configured.
func makeTracer(_ settings: TelemetrySettings, logger: Logger) -> Tracer? {
    guard let endpoint = settings.tracesEndpoint else { return nil }
    // The export has its own client and I/O thread: its large, occasional transfers never run on
    // (or wake) the loops serving requests.
    let exporter = OTLPHTTPExporter(
        configuration: .init(
            tracesURL: endpoint,
            encoding: settings.protocol == .httpJSON ? .json : .protobuf,
            headers: HTTPHeaders(settings.headers.map { ($0.name, $0.value) }),
            timeout: settings.timeout
        ),
        client: HTTPClient(threadName: "keel-otlp"),
        ownsClient: true
    )
    var attributes = SpanAttributes()
    for (name, value) in settings.resourceAttributes { attributes[name] = .string(value) }
    logger.info("trace export on", ["endpoint": URLRedaction.url(endpoint), "protocol": settings.protocol.rawValue, "sampling_ratio": String(settings.samplingRatio)])
    return Tracer(
        resource: TelemetryResource(serviceName: settings.serviceName, serviceVersion: KeelVersion.current, attributes: attributes),
        scope: InstrumentationScope(name: "keel", version: KeelVersion.current),
        samplingRatio: settings.samplingRatio,
        exporter: exporter,
        logger: logger
    )
}

/// Gauges read from the gateway at each scrape: every route's circuit breaker
/// (`keel_circuit_breaker_state`) and attempts in flight (`keel_route_in_flight`), and the response
/// cache's entries, bytes and lookups.
func registerGatewayGauges(_ gateway: Gateway, genAIMetrics: GenAIMetrics, in registry: MetricsRegistry) {
    let routing = gateway.routing
    registry.beforeExposition {
        // A route shared by several models reports its worst breaker.
        var states: [String: (provider: String, state: GenAIMetrics.BreakerState)] = [:]
        for model in routing.snapshot() {
            for route in model.routes {
                let state: GenAIMetrics.BreakerState = switch route.breaker {
                case .closed: .closed
                case .halfOpen: .halfOpen
                case .open: .open
                }
                let name = "\(route.provider)/\(route.model)"
                if let known = states[name], known.state.rawValue >= state.rawValue { continue }
                states[name] = (route.provider, state)
            }
        }
        for (route, value) in states { genAIMetrics.setBreakerState(value.state, provider: value.provider, route: route) }
    }
    registry.callbackGauge("keel_route_in_flight", help: "Upstream attempts in flight per model and route.", labelNames: ["model", "provider", "route"]) {
        routing.snapshot().flatMap { model in
            model.routes.map { MetricSample(labelValues: [model.model, $0.provider, "\($0.provider)/\($0.model)"], value: Double($0.inFlight)) }
        }
    }
    guard let cache = gateway.cache else { return }
    registry.callbackGauge("keel_response_cache_entries", help: "Answers held in the response cache's memory.") { Double(cache.stats.entries) }
    registry.callbackGauge("keel_response_cache_bytes", help: "Bytes held in the response cache's memory.") { Double(cache.stats.bytes) }
    registry.callbackCounter("keel_response_cache_lookups_total", help: "Response cache lookups by result.", labelNames: ["result"]) {
        let stats = cache.stats
        return [MetricSample(labelValues: ["hit"], value: Double(stats.hits)), MetricSample(labelValues: ["miss"], value: Double(stats.misses))]
    }
    registry.callbackCounter("keel_response_cache_evictions_total", help: "Answers evicted from the response cache's memory.") { Double(cache.stats.evictions) }
}

/// A built Keel instance: the HTTP server, the store and the metrics registry, with their lifecycle.
public final class Application: Sendable {
    public let config: KeelConfig
    public let server: HTTPServer
    /// The upstream HTTP client shared by every provider.
    public let client: HTTPClient
    /// The event loops the server and the client run on.
    public let loops: EventLoopGroup
    public let store: any Store
    /// Teams, keys, budgets, rate limits and the audit log.
    public let governance: Governance
    public let metrics: MetricsRegistry
    public let logger: Logger
    /// The model gateway: its routing state (`gateway.routing.snapshot()`) and response cache.
    public let gateway: Gateway
    /// The process's tracer; nil when trace export is off.
    public let tracer: Tracer?
    /// The feedback table.
    let feedback: any FeedbackStore
    /// Enforces `storage.retention_days`; nil when everything is kept.
    let retention: RequestLogRetention?

    init(
        config: KeelConfig, server: HTTPServer, client: HTTPClient, loops: EventLoopGroup, store: any Store, governance: Governance, metrics: MetricsRegistry, logger: Logger,
        gateway: Gateway, tracer: Tracer?, feedback: any FeedbackStore, retention: RequestLogRetention?
    ) {
        self.gateway = gateway
        self.tracer = tracer
        self.feedback = feedback
        self.retention = retention
        self.config = config
        self.server = server
        self.client = client
        self.loops = loops
        self.store = store
        self.governance = governance
        self.metrics = metrics
        self.logger = logger
    }

    /// The port the server listens on (after `start()`).
    public var port: Int { server.port }

    /// Binds the listener, starts serving and starts the request log's retention task.
    public func start() throws {
        do {
            try server.start()
        } catch {
            throw StartupError(error.message)
        }
        retention?.start()
    }

    /// Graceful shutdown: stop accepting, let requests in flight finish (up to
    /// `server.shutdown_timeout_s`), export the spans still queued (up to 5 s), then flush
    /// everything accepted into the store and close it.
    public func shutdown() async {
        await server.shutdown(gracePeriod: config.server.shutdownTimeout)
        // Cache writes are queued before the close on the cache's own queue, so none is lost.
        await gateway.cache?.close()
        await governance.shutdown()
        await retention?.stop()
        // The spans still queued are exported (through the exporter's own client) before the store closes.
        await tracer?.shutdown()
        client.shutdown()
        loops.shutdown()
        await store.shutdown()
        await feedback.close()
        logger.info("shutdown complete")
    }

    /// Starts, serves until SIGTERM or SIGINT, then shuts down gracefully.
    public func run() async throws {
        let signals = ShutdownSignal.install()
        try start()
        logger.info("keel started", ["version": KeelVersion.current, "listen": "\(config.server.listen.host):\(port)"])
        let signal = await signals.wait()
        logger.info("shutting down", ["signal": signal])
        await shutdown()
    }
}
