import KeelHTTP
import KeelStore
import KeelTelemetry

/// `GET /healthz` (the process is alive), `GET /readyz` (configuration loaded and the store
/// writable) and `GET /metrics` (Prometheus text format).
struct OperationsRoutes: Sendable {
    let store: any Store
    let metrics: MetricsRegistry

    func register(in router: inout Router) {
        router.get("/healthz") { _, _ in
            .json("{\"status\":\"ok\"}", headers: ["cache-control": "no-store"])
        }
        router.get("/readyz") { [store] _, context in
            // The configuration was loaded and validated before the server started.
            let writable = await store.checkWritable()
            if writable {
                return .json("{\"status\":\"ready\",\"checks\":{\"config\":\"ok\",\"store\":\"ok\"}}", headers: ["cache-control": "no-store"])
            }
            context.logger.warning("readiness check failed: the store is not writable")
            return .json("{\"status\":\"not_ready\",\"checks\":{\"config\":\"ok\",\"store\":\"failing\"}}", status: 503, headers: ["cache-control": "no-store"])
        }
        router.get("/metrics") { [metrics] _, _ in
            Response(status: 200, headers: ["content-type": MetricsRegistry.contentType], body: .bytes(Array(metrics.exposition().utf8)))
        }
    }
}
