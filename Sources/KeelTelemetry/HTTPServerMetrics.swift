import Synchronization

/// The standard HTTP server metrics, following the OpenTelemetry HTTP semantic conventions.
///
/// Registers:
/// - `http_server_request_duration_seconds` — histogram with labels `http_request_method`,
///   `http_route`, `http_response_status_code` and the ``Buckets/httpServerDuration`` buckets;
/// - `http_server_requests_total` — counter with the same labels;
/// - `http_server_active_requests` — gauge of requests in flight.
///
/// ``record(method:route:status:seconds:)`` caches the histogram and counter series per
/// (method, route, status), so recording a request costs one dictionary lookup under a short lock
/// and a few atomic operations. Pass the route *template* (`/v1/models/{id}`), never the raw
/// path, and a fixed placeholder (for example `unmatched`) when no route matched: every distinct
/// value becomes a time series. Methods outside the standard set are recorded as `_OTHER`.
public final class HTTPServerMetrics: Sendable {
    /// `http_server_request_duration_seconds`.
    public let requestDuration: Histogram
    /// `http_server_requests_total`.
    public let requestsTotal: Counter
    /// `http_server_active_requests`.
    public let activeRequests: Gauge

    private struct SeriesKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private struct Series {
        var duration: Histogram.Child
        var count: Counter.Child
    }

    private let series = Mutex<[SeriesKey: Series]>([:])

    /// Registers the HTTP server metrics in `registry` (or reuses them if already registered).
    ///
    /// - Parameters:
    ///   - registry: Where the families are registered.
    ///   - buckets: The duration buckets, in seconds; defaults to ``Buckets/httpServerDuration``.
    public init(registry: MetricsRegistry, buckets: [Double] = Buckets.httpServerDuration) {
        let labels = ["http_request_method", "http_route", "http_response_status_code"]
        requestDuration = registry.histogram(
            "http_server_request_duration_seconds",
            help: "Duration of HTTP server requests, in seconds.",
            labelNames: labels,
            buckets: buckets
        )
        requestsTotal = registry.counter(
            "http_server_requests_total",
            help: "Number of HTTP server requests completed.",
            labelNames: labels
        )
        activeRequests = registry.gauge(
            "http_server_active_requests",
            help: "Number of HTTP server requests in flight."
        )
    }

    /// Records one completed request.
    ///
    /// - Parameters:
    ///   - method: The request method; non-standard methods are recorded as `_OTHER`.
    ///   - route: The matched route template, never the raw path.
    ///   - status: The response status code.
    ///   - seconds: The request duration, in seconds.
    public func record(method: String, route: String, status: Int, seconds: Double) {
        let key = SeriesKey(method: Self.normalizedMethod(method), route: route, status: status)
        let resolved = series.withLock { $0[key] }
        let target = resolved ?? resolve(key)
        target.duration.observe(seconds)
        target.count.inc()
    }

    /// Records one completed request whose duration is given as a `Duration`.
    public func record(method: String, route: String, status: Int, duration: Duration) {
        record(method: method, route: route, status: status, seconds: Histogram.seconds(duration))
    }

    /// Marks a request as started (increments `http_server_active_requests`).
    public func requestStarted() {
        activeRequests.inc()
    }

    /// Marks a request as finished (decrements `http_server_active_requests`).
    public func requestFinished() {
        activeRequests.dec()
    }

    /// The method label for `method`: itself when it is one of the standard HTTP methods
    /// (case-sensitive, as in HTTP), otherwise `_OTHER`, which keeps label cardinality bounded.
    public static func normalizedMethod(_ method: String) -> String {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH":
            method
        default:
            "_OTHER"
        }
    }

    /// Resolves the series for a key seen for the first time. The family lookups happen outside
    /// this object's lock; if two threads race, both get the same children from the families.
    private func resolve(_ key: SeriesKey) -> Series {
        let values = [key.method, key.route, String(key.status)]
        let created = Series(duration: requestDuration.labels(values), count: requestsTotal.labels(values))
        return series.withLock { series in
            if let existing = series[key] { return existing }
            series[key] = created
            return created
        }
    }
}
