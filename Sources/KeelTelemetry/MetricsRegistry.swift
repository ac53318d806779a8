import Synchronization

/// A set of metric families and their Prometheus text exposition.
///
/// Register each family once, at start-up, and keep the returned object; recording on it never
/// touches the registry. Registering a name again returns the existing family when the kind, label
/// names (and, for histograms, buckets) match; any other reuse of a name — including a name that
/// collides with a histogram's `_bucket`/`_sum`/`_count` samples — is a programming error and traps
/// with a message naming the metric. Invalid metric or label names trap the same way.
///
/// ```swift
/// let registry = MetricsRegistry()
/// let requests = registry.counter("requests_total", help: "Requests served.", labelNames: ["route"])
/// let health = requests.labels("/healthz")   // resolve once, record many times
/// health.inc()
/// let body = registry.exposition()            // serve with MetricsRegistry.contentType
/// ```
public final class MetricsRegistry: Sendable {
    /// The `Content-Type` of ``exposition()``: Prometheus text format 0.0.4.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private struct State {
        /// Families in registration order.
        var families: [any MetricFamily] = []
        var byName: [String: any MetricFamily] = [:]
        /// Every sample name in use (family names and histogram suffixes) and its family.
        var sampleNames: [String: String] = [:]
        /// Run at the start of every exposition (see ``beforeExposition(_:)``).
        var updates: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    /// Creates an empty registry.
    public init() {}

    /// Registers (or returns the already registered) counter family `name`.
    ///
    /// - Parameters:
    ///   - name: The metric name; by convention it ends in `_total`.
    ///   - help: The `# HELP` text.
    ///   - labelNames: The label names; empty for a single unlabelled series.
    public func counter(_ name: String, help: String, labelNames: [String] = []) -> Counter {
        Self.validate(name: name, labelNames: labelNames)
        return register(name: name, labelNames: labelNames) {
            Counter(name: name, help: help, labelNames: labelNames)
        }
    }

    /// Registers (or returns the already registered) gauge family `name`.
    ///
    /// - Parameters:
    ///   - name: The metric name.
    ///   - help: The `# HELP` text.
    ///   - labelNames: The label names; empty for a single unlabelled series.
    public func gauge(_ name: String, help: String, labelNames: [String] = []) -> Gauge {
        Self.validate(name: name, labelNames: labelNames)
        return register(name: name, labelNames: labelNames) {
            Gauge(name: name, help: help, labelNames: labelNames)
        }
    }

    /// Registers (or returns the already registered) histogram family `name`.
    ///
    /// - Parameters:
    ///   - name: The metric name, without `_bucket`/`_sum`/`_count`; include the unit
    ///     (`…_seconds`, `…_bytes`).
    ///   - help: The `# HELP` text.
    ///   - labelNames: The label names (`le` is reserved); empty for a single unlabelled series.
    ///   - buckets: Finite, strictly increasing upper bounds, e.g. ``Buckets/httpServerDuration``.
    ///     A trailing `+Inf` is accepted and ignored: the `+Inf` bucket is always present.
    public func histogram(_ name: String, help: String, labelNames: [String] = [], buckets: [Double]) -> Histogram {
        Self.validate(name: name, labelNames: labelNames)
        precondition(!labelNames.contains("le"), "histogram \(name): the label name \"le\" is reserved")
        var bounds = buckets
        if bounds.last == .infinity { bounds.removeLast() }
        precondition(!bounds.isEmpty, "histogram \(name): at least one finite bucket bound is required")
        precondition(bounds.allSatisfy(\.isFinite), "histogram \(name): bucket bounds must be finite, got \(buckets)")
        precondition(
            zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 },
            "histogram \(name): bucket bounds must be strictly increasing, got \(buckets)"
        )
        return register(name: name, labelNames: labelNames, extraCheck: { $0.upperBounds == bounds }) {
            Histogram(name: name, help: help, labelNames: labelNames, upperBounds: bounds)
        }
    }

    /// Registers an unlabelled gauge whose value is computed by `value` at each exposition.
    ///
    /// When `value` returns `nil` the gauge is left out of that exposition. Callback metrics
    /// cannot be registered twice under the same name.
    public func callbackGauge(_ name: String, help: String, value: @escaping @Sendable () -> Double?) {
        callbackGauge(name, help: help, labelNames: []) {
            value().map { [MetricSample(value: $0)] } ?? []
        }
    }

    /// Registers a labelled gauge whose samples are computed by `samples` at each exposition.
    ///
    /// Each sample's label values follow `labelNames`; an empty result leaves the gauge out.
    public func callbackGauge(
        _ name: String, help: String, labelNames: [String],
        samples: @escaping @Sendable () -> [MetricSample]
    ) {
        registerCallback(name: name, help: help, kind: .gauge, labelNames: labelNames, samples: samples)
    }

    /// Registers an unlabelled counter whose value is computed by `value` at each exposition.
    ///
    /// The closure must return a value that never decreases (for example CPU time consumed).
    /// When it returns `nil` the counter is left out of that exposition.
    public func callbackCounter(_ name: String, help: String, value: @escaping @Sendable () -> Double?) {
        callbackCounter(name, help: help, labelNames: []) {
            value().map { [MetricSample(value: $0)] } ?? []
        }
    }

    /// Registers a labelled counter whose samples are computed by `samples` at each exposition.
    public func callbackCounter(
        _ name: String, help: String, labelNames: [String],
        samples: @escaping @Sendable () -> [MetricSample]
    ) {
        registerCallback(name: name, help: help, kind: .counter, labelNames: labelNames, samples: samples)
    }

    /// Runs `update` at the start of every ``exposition()``, before any family is rendered, with no
    /// registry lock held: for gauges set from a snapshot of state that lives elsewhere (circuit
    /// breakers, for example), so they are current at each scrape without a timer.
    public func beforeExposition(_ update: @escaping @Sendable () -> Void) {
        state.withLock { $0.updates.append(update) }
    }

    /// Whether a family named `name` is registered.
    public func contains(_ name: String) -> Bool {
        state.withLock { $0.byName[name] != nil }
    }

    /// The registered family names, in registration order.
    public var familyNames: [String] {
        state.withLock { $0.families.map(\.name) }
    }

    /// Renders every family in the Prometheus text format 0.0.4 (see ``contentType``).
    ///
    /// Families appear in registration order and series within a family are sorted by label
    /// values, so the output is stable. Families without any series are left out. Callback
    /// metrics are evaluated now, with no registry lock held.
    public func exposition() -> String {
        let updates = state.withLock { $0.updates }
        for update in updates { update() }
        let families = state.withLock { $0.families }
        var out = ""
        out.reserveCapacity(families.count * 256)
        for family in families {
            family.render(into: &out)
        }
        return out
    }

    // MARK: - Registration

    private func registerCallback(
        name: String, help: String, kind: CallbackMetric.Kind, labelNames: [String],
        samples: @escaping @Sendable () -> [MetricSample]
    ) {
        Self.validate(name: name, labelNames: labelNames)
        let _: CallbackMetric = register(name: name, labelNames: labelNames, extraCheck: { _ in false }) {
            CallbackMetric(name: name, help: help, kind: kind, labelNames: labelNames, samples: samples)
        }
    }

    private func register<Family: MetricFamily>(
        name: String,
        labelNames: [String],
        extraCheck: (Family) -> Bool = { _ in true },
        make: () -> Family
    ) -> Family {
        state.withLock { state in
            if let existing = state.byName[name] {
                guard let typed = existing as? Family, typed.labelNames == labelNames, extraCheck(typed) else {
                    preconditionFailure(
                        "metric \(name) is already registered as a \(existing.typeName) with labels \(existing.labelNames); "
                            + "the new registration is incompatible"
                    )
                }
                return typed
            }
            let family = make()
            let sampleNames = [name] + family.sampleNameSuffixes.map { name + $0 }
            for sampleName in sampleNames {
                if let owner = state.sampleNames[sampleName] {
                    preconditionFailure("metric \(name) would write samples named \(sampleName), already used by \(owner)")
                }
            }
            for sampleName in sampleNames {
                state.sampleNames[sampleName] = name
            }
            state.families.append(family)
            state.byName[name] = family
            return family
        }
    }

    // MARK: - Validation

    private static func validate(name: String, labelNames: [String]) {
        precondition(isValidMetricName(name), "invalid metric name \"\(name)\" (allowed: [a-zA-Z_:][a-zA-Z0-9_:]*)")
        for label in labelNames {
            precondition(
                isValidLabelName(label),
                "metric \(name): invalid label name \"\(label)\" (allowed: [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)"
            )
        }
        precondition(Set(labelNames).count == labelNames.count, "metric \(name): duplicate label names \(labelNames)")
    }

    static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isLetter(first) || first == UInt8(ascii: "_") || first == UInt8(ascii: ":") else {
            return false
        }
        return name.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":") }
    }

    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        guard !name.hasPrefix("__") else { return false }
        return name.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
