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
public func buildApplication(config: KeelConfig, logger: Logger? = nil) throws -> Application {
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
    let loops = EventLoopGroup(threads: config.server.threads)
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
    // Cached answers are partitioned by the caller's team (the gateway's default partition).
    let gateway = Gateway(config: config, client: client, store: store, logger: logger.labeled("keel.gateway"),
                          governance: governance, guardrails: guardrailsRoutes.guardrails)
    gateway.register(in: &router)
    RoutesHealthRoutes(routing: gateway.routing, governance: governance).register(in: &router)
    ConsoleRoutes().register(in: &router)
    try FeedbackRoutes(config: config, store: store, client: client, logger: logger).register(in: &router)

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
    return Application(config: config, server: server, client: client, loops: loops, store: store, governance: governance, metrics: metrics, logger: logger)
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

    init(config: KeelConfig, server: HTTPServer, client: HTTPClient, loops: EventLoopGroup, store: any Store, governance: Governance, metrics: MetricsRegistry, logger: Logger) {
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

    /// Binds the listener and starts serving.
    public func start() throws {
        do {
            try server.start()
        } catch {
            throw StartupError(error.message)
        }
    }

    /// Graceful shutdown: stop accepting, let requests in flight finish (up to
    /// `server.shutdown_timeout_s`), then flush everything accepted into the store and close it.
    public func shutdown() async {
        await server.shutdown(gracePeriod: config.server.shutdownTimeout)
        await governance.shutdown()
        client.shutdown()
        loops.shutdown()
        await store.shutdown()
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
