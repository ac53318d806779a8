import Testing
@testable import KeelTelemetry

@Suite struct MetricsTests {
    // MARK: - Exposition of each metric type

    @Test func counterExposition() {
        let registry = MetricsRegistry()
        let plain = registry.counter("jobs_total", help: "Jobs run.")
        plain.inc()
        plain.inc(by: 2 as UInt64)
        let requests = registry.counter("requests_total", help: "Requests served.", labelNames: ["method", "code"])
        requests.labels("POST", "200").inc(by: 0.5)
        requests.labels("GET", "500").inc()
        requests.labels(["GET", "200"]).inc(by: 7 as UInt64)
        requests.labels("POST", "200").inc(by: 1 as UInt64)

        #expect(registry.exposition() == """
            # HELP jobs_total Jobs run.
            # TYPE jobs_total counter
            jobs_total 3
            # HELP requests_total Requests served.
            # TYPE requests_total counter
            requests_total{method="GET",code="200"} 7
            requests_total{method="GET",code="500"} 1
            requests_total{method="POST",code="200"} 1.5

            """)
        #expect(plain.value == 3)
        #expect(requests.labels("POST", "200").value == 1.5)
    }

    @Test func gaugeExposition() {
        let registry = MetricsRegistry()
        let temperature = registry.gauge("temperature_celsius", help: "Current temperature.")
        temperature.set(21.25)
        temperature.inc()
        temperature.dec(by: 0.5)
        let queue = registry.gauge("queue_depth", help: "Items waiting.", labelNames: ["queue"])
        queue.labels("b").set(-3)
        queue.labels("a").inc(by: 4)
        queue.labels("a").dec()

        #expect(registry.exposition() == """
            # HELP temperature_celsius Current temperature.
            # TYPE temperature_celsius gauge
            temperature_celsius 21.75
            # HELP queue_depth Items waiting.
            # TYPE queue_depth gauge
            queue_depth{queue="a"} 3
            queue_depth{queue="b"} -3

            """)
    }

    @Test func histogramExposition() {
        let registry = MetricsRegistry()
        let latency = registry.histogram(
            "latency_seconds", help: "Latency.", labelNames: ["route"], buckets: [0.1, 0.5, 1]
        )
        let health = latency.labels("/healthz")
        health.observe(0.05)
        health.observe(0.1)   // on a bound: counted in that bucket (le is inclusive)
        health.observe(0.3)
        health.observe(4)
        latency.labels("/v1/models/{id}").observe(0.75)
        let size = registry.histogram("size_bytes", help: "Sizes.", buckets: [1024, 1_048_576, .infinity])
        size.observe(2048)

        #expect(registry.exposition() == """
            # HELP latency_seconds Latency.
            # TYPE latency_seconds histogram
            latency_seconds_bucket{route="/healthz",le="0.1"} 2
            latency_seconds_bucket{route="/healthz",le="0.5"} 3
            latency_seconds_bucket{route="/healthz",le="1"} 3
            latency_seconds_bucket{route="/healthz",le="+Inf"} 4
            latency_seconds_sum{route="/healthz"} 4.45
            latency_seconds_count{route="/healthz"} 4
            latency_seconds_bucket{route="/v1/models/{id}",le="0.1"} 0
            latency_seconds_bucket{route="/v1/models/{id}",le="0.5"} 0
            latency_seconds_bucket{route="/v1/models/{id}",le="1"} 1
            latency_seconds_bucket{route="/v1/models/{id}",le="+Inf"} 1
            latency_seconds_sum{route="/v1/models/{id}"} 0.75
            latency_seconds_count{route="/v1/models/{id}"} 1
            # HELP size_bytes Sizes.
            # TYPE size_bytes histogram
            size_bytes_bucket{le="1024"} 0
            size_bytes_bucket{le="1048576"} 1
            size_bytes_bucket{le="+Inf"} 1
            size_bytes_sum 2048
            size_bytes_count 1

            """)
        #expect(health.cumulativeCounts == [2, 3, 3, 4])
        #expect(health.count == 4)
        #expect(size.upperBounds == [1024, 1_048_576])
    }

    @Test func histogramRecordsDurationsAndSpecialValues() {
        let registry = MetricsRegistry()
        let histogram = registry.histogram("op_seconds", help: "Ops.", buckets: [1, 2])
        histogram.observe(Duration.milliseconds(1500))
        histogram.observe(-5)
        histogram.observe(Double.infinity)
        let child = histogram.labels([])
        #expect(child.cumulativeCounts == [1, 2, 3])
        #expect(histogram.count == 3)
        #expect(histogram.sum == .infinity)
        #expect(registry.exposition().contains("op_seconds_sum +Inf\n"))
    }

    @Test func familiesWithoutSeriesAreLeftOut() {
        let registry = MetricsRegistry()
        _ = registry.counter("unused_total", help: "Never used.", labelNames: ["kind"])
        let used = registry.gauge("used", help: "")
        used.set(1)
        #expect(registry.exposition() == "# TYPE used gauge\nused 1\n")
        #expect(registry.familyNames == ["unused_total", "used"])
    }

    // MARK: - Escaping and number formatting

    @Test func labelValuesAndHelpAreEscaped() {
        let registry = MetricsRegistry()
        let counter = registry.counter(
            "escaped_total", help: "A \\ backslash,\na new line and \"quotes\".", labelNames: ["value"]
        )
        counter.labels("C:\\dir \"quoted\"\nnext line").inc()
        counter.labels("plain é ✓").inc()

        #expect(registry.exposition() == #"""
            # HELP escaped_total A \\ backslash,\na new line and "quotes".
            # TYPE escaped_total counter
            escaped_total{value="C:\\dir \"quoted\"\nnext line"} 1
            escaped_total{value="plain é ✓"} 1

            """#)
    }

    @Test(arguments: [
        (0.0, "0"), (-0.0, "0"), (42.0, "42"), (-7.0, "-7"), (2.5, "2.5"), (0.005, "0.005"),
        (1e-7, "1e-07"), (1_048_576.0, "1048576"), (1e20, "1e+20"), (123.456, "123.456"),
        (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"),
    ])
    func numbersAreFormattedForPrometheus(value: Double, expected: String) throws {
        let registry = MetricsRegistry()
        registry.gauge("value", help: "A value.").set(value)
        let samples = try ExpositionParser.parse(registry.exposition())
        #expect(samples.map(\.rawValue) == [expected])
        #expect(PrometheusText.format(value) == expected)
    }

    // MARK: - Registration

    @Test func registeringTheSameFamilyTwiceReturnsIt() {
        let registry = MetricsRegistry()
        let first = registry.counter("hits_total", help: "Hits.", labelNames: ["route"])
        let second = registry.counter("hits_total", help: "Hits.", labelNames: ["route"])
        #expect(first === second)
        let histogram = registry.histogram("d_seconds", help: "D.", buckets: [1, 2])
        #expect(registry.histogram("d_seconds", help: "D.", buckets: [1, 2, .infinity]) === histogram)
        #expect(registry.familyNames == ["hits_total", "d_seconds"])
        #expect(registry.contains("d_seconds"))
        #expect(!registry.contains("d_seconds_count"))
    }

    @Test func incompatibleRegistrationTraps() async {
        await #expect(processExitsWith: .failure) {
            let registry = MetricsRegistry()
            _ = registry.counter("hits_total", help: "Hits.", labelNames: ["route"])
            _ = registry.gauge("hits_total", help: "Hits.", labelNames: ["route"])
        }
        await #expect(processExitsWith: .failure) {
            let registry = MetricsRegistry()
            _ = registry.histogram("rpc_seconds", help: "RPC.", buckets: [1])
            _ = registry.counter("rpc_seconds_count", help: "Collides with the histogram's count.")
        }
        await #expect(processExitsWith: .failure) {
            _ = MetricsRegistry().counter("bad-name", help: "Invalid metric name.")
        }
    }

    @Test func nameValidation() {
        #expect(MetricsRegistry.isValidMetricName("http_server_request_duration_seconds"))
        #expect(MetricsRegistry.isValidMetricName("ns:metric_1"))
        #expect(!MetricsRegistry.isValidMetricName("1metric"))
        #expect(!MetricsRegistry.isValidMetricName(""))
        #expect(!MetricsRegistry.isValidMetricName("with space"))
        #expect(MetricsRegistry.isValidLabelName("http_route"))
        #expect(!MetricsRegistry.isValidLabelName("__reserved"))
        #expect(!MetricsRegistry.isValidLabelName("a:b"))
        #expect(!MetricsRegistry.isValidLabelName("9a"))
    }

    // MARK: - Concurrency

    @Test func concurrentRecordingIsExact() async {
        let registry = MetricsRegistry()
        let counter = registry.counter("work_total", help: "Work.", labelNames: ["worker"])
        let fractional = registry.counter("fractional_total", help: "Fractions.")
        let gauge = registry.gauge("in_flight", help: "In flight.")
        let histogram = registry.histogram("work_seconds", help: "Work.", labelNames: ["worker"], buckets: [0.5, 1])
        let tasks = 8
        let iterations = 5_000

        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<tasks {
                group.addTask {
                    let shared = counter.labels("shared")
                    let sharedHistogram = histogram.labels("shared")
                    for iteration in 0..<iterations {
                        shared.inc()
                        // Resolve the per-worker child every time, to exercise the cache under contention.
                        counter.labels(String(worker)).inc(by: 2 as UInt64)
                        fractional.inc(by: 0.25)
                        gauge.inc()
                        sharedHistogram.observe(iteration.isMultiple(of: 2) ? 0.25 : 0.75)
                        gauge.dec()
                    }
                }
            }
        }

        #expect(counter.labels("shared").value == Double(tasks * iterations))
        for worker in 0..<tasks {
            #expect(counter.labels(String(worker)).value == Double(2 * iterations))
        }
        #expect(fractional.value == Double(tasks * iterations) * 0.25)
        #expect(gauge.value == 0)
        let shared = histogram.labels("shared")
        #expect(shared.count == UInt64(tasks * iterations))
        #expect(shared.cumulativeCounts == [UInt64(tasks * iterations / 2), UInt64(tasks * iterations), UInt64(tasks * iterations)])
        #expect(shared.sum == Double(tasks * iterations / 2) * 1.0)
    }

    @Test func concurrentRegistrationAndScrapes() async throws {
        let registry = MetricsRegistry()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    for round in 0..<50 {
                        registry.counter("family_\(round % 10)_total", help: "F.", labelNames: ["task"])
                            .labels(String(index)).inc()
                        _ = registry.exposition()
                    }
                }
            }
        }
        let samples = try ExpositionParser.parse(registry.exposition())
        #expect(samples.count == 80)
        #expect(samples.allSatisfy { $0.value == 5 })
        #expect(registry.familyNames.count == 10)
    }

    // MARK: - Callback metrics

    @Test func callbackMetricsAreEvaluatedAtScrapeTime() {
        let registry = MetricsRegistry()
        let source = Counter(name: "source", help: "", labelNames: [])
        registry.callbackGauge("pool_size", help: "Pool size.") { source.value * 2 }
        registry.callbackGauge("absent", help: "Never present.") { nil }
        registry.callbackCounter("bytes_read_total", help: "Bytes read.") { 1024 }
        registry.callbackGauge("upstream_healthy", help: "Upstream health.", labelNames: ["upstream"]) {
            [MetricSample(labelValues: ["openai"], value: 1), MetricSample(labelValues: ["anthropic"], value: 0)]
        }

        source.inc()
        #expect(registry.exposition() == """
            # HELP pool_size Pool size.
            # TYPE pool_size gauge
            pool_size 2
            # HELP bytes_read_total Bytes read.
            # TYPE bytes_read_total counter
            bytes_read_total 1024
            # HELP upstream_healthy Upstream health.
            # TYPE upstream_healthy gauge
            upstream_healthy{upstream="anthropic"} 0
            upstream_healthy{upstream="openai"} 1

            """)
        source.inc(by: 4 as UInt64)
        #expect(registry.exposition().hasPrefix("# HELP pool_size Pool size.\n# TYPE pool_size gauge\npool_size 10\n"))
    }

    @Test func callbacksMayUseTheRegistry() {
        let registry = MetricsRegistry()
        registry.callbackGauge("families", help: "Registered families.") { Double(registry.familyNames.count) }
        #expect(registry.exposition().contains("\nfamilies 1\n"))
    }

    // MARK: - HTTP server metrics

    @Test func httpServerMetricsRecordRequests() throws {
        let registry = MetricsRegistry()
        let http = HTTPServerMetrics(registry: registry)
        http.requestStarted()
        http.requestStarted()
        http.requestFinished()
        http.record(method: "GET", route: "/healthz", status: 200, seconds: 0.003)
        http.record(method: "GET", route: "/healthz", status: 200, seconds: 0.02)
        http.record(method: "POST", route: "/v1/chat/completions", status: 429, duration: .milliseconds(300))
        http.record(method: "BREW", route: "/v1/models/{id}", status: 404, seconds: 12)
        // The same families are reused when registered again.
        let again = HTTPServerMetrics(registry: registry)
        again.record(method: "GET", route: "/healthz", status: 200, seconds: 0.001)

        let text = registry.exposition()
        let expected = [
            "# TYPE http_server_request_duration_seconds histogram",
            #"http_server_request_duration_seconds_bucket{http_request_method="GET",http_route="/healthz",http_response_status_code="200",le="0.005"} 2"#,
            #"http_server_request_duration_seconds_bucket{http_request_method="GET",http_route="/healthz",http_response_status_code="200",le="0.025"} 3"#,
            #"http_server_request_duration_seconds_bucket{http_request_method="GET",http_route="/healthz",http_response_status_code="200",le="+Inf"} 3"#,
            #"http_server_request_duration_seconds_count{http_request_method="GET",http_route="/healthz",http_response_status_code="200"} 3"#,
            #"http_server_request_duration_seconds_bucket{http_request_method="POST",http_route="/v1/chat/completions",http_response_status_code="429",le="0.25"} 0"#,
            #"http_server_request_duration_seconds_bucket{http_request_method="POST",http_route="/v1/chat/completions",http_response_status_code="429",le="0.5"} 1"#,
            #"http_server_request_duration_seconds_sum{http_request_method="POST",http_route="/v1/chat/completions",http_response_status_code="429"} 0.3"#,
            #"http_server_request_duration_seconds_bucket{http_request_method="_OTHER",http_route="/v1/models/{id}",http_response_status_code="404",le="10"} 0"#,
            #"http_server_request_duration_seconds_bucket{http_request_method="_OTHER",http_route="/v1/models/{id}",http_response_status_code="404",le="+Inf"} 1"#,
            "# TYPE http_server_requests_total counter",
            #"http_server_requests_total{http_request_method="GET",http_route="/healthz",http_response_status_code="200"} 3"#,
            #"http_server_requests_total{http_request_method="POST",http_route="/v1/chat/completions",http_response_status_code="429"} 1"#,
            #"http_server_requests_total{http_request_method="_OTHER",http_route="/v1/models/{id}",http_response_status_code="404"} 1"#,
            "# TYPE http_server_active_requests gauge",
            "http_server_active_requests 1",
        ]
        for line in expected {
            #expect(text.contains("\n" + line + "\n"), "missing line: \(line)")
        }
        #expect(!text.contains("BREW"))
        let buckets = try ExpositionParser.parse(text).filter {
            $0.name == "http_server_request_duration_seconds_bucket" && $0.labels["http_route"] == "/healthz"
        }
        #expect(buckets.map { $0.labels["le"] ?? "" } == Buckets.httpServerDuration.map(PrometheusText.format) + ["+Inf"])
        #expect(HTTPServerMetrics.normalizedMethod("get") == "_OTHER")
        #expect(HTTPServerMetrics.normalizedMethod("PATCH") == "PATCH")
    }

    // MARK: - Constants

    @Test func standardBucketSets() {
        #expect(Buckets.httpServerDuration == [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10])
        #expect(Buckets.genAIOperationDuration.first == 0.01 && Buckets.genAIOperationDuration.last == 81.92)
        #expect(Buckets.genAIOperationDuration.count == 14)
        #expect(Buckets.genAITokenUsage == (0..<14).map { Double(1 << (2 * $0)) })
        #expect(Buckets.genAITimeToFirstToken.count == 16 && Buckets.genAITimeToFirstToken.last == 10)
        #expect(Buckets.genAITimePerOutputToken.count == 13 && Buckets.genAITimePerOutputToken.last == 2.5)
        for buckets in [
            Buckets.httpServerDuration, Buckets.genAIOperationDuration, Buckets.genAITokenUsage,
            Buckets.genAITimeToFirstToken, Buckets.genAITimePerOutputToken,
        ] {
            #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 })
        }
        #expect(MetricsRegistry.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }

    // MARK: - Syntax of a full exposition

    @Test func everyLineOfAFullExpositionParses() throws {
        let registry = MetricsRegistry()
        ProcessMetrics.register(in: registry)
        let http = HTTPServerMetrics(registry: registry)
        http.record(method: "GET", route: "/v1/models/{id}", status: 200, seconds: 0.01)
        let weird = registry.gauge("weird_values", help: "Odd \\ help\ntext.", labelNames: ["v"])
        weird.labels("\"\\\n,}{= ").set(.nan)
        weird.labels("inf").set(.infinity)
        weird.labels("small").set(-1e-9)
        let tokens = registry.histogram(
            "gen_ai_client_token_usage", help: "Tokens.", labelNames: ["gen_ai_token_type"], buckets: Buckets.genAITokenUsage
        )
        tokens.labels("input").observe(5000)

        let text = registry.exposition()
        #expect(text.hasSuffix("\n"))
        let samples = try ExpositionParser.parse(text)
        #expect(samples.contains { $0.name == "weird_values" && $0.labels["v"] == "\"\\\n,}{= " && $0.value.isNaN })
        #expect(samples.contains { $0.name == "gen_ai_client_token_usage_bucket" && $0.labels["le"] == "67108864" && $0.value == 1 })
        #expect(samples.contains { $0.name == "process_cpu_seconds_total" })
    }

    @Test func parserRejectsMalformedLines() {
        for bad in [
            "metric 1 2 3\n", "metric{a=\"x\"}1\n", "metric{a=x} 1\n", "metric{a=\"x\\q\"} 1\n",
            "1metric 1\n", "metric one\n", "# TYPE metric fancy\nmetric 1\n", "metric{a=\"x\"\n",
        ] {
            #expect(throws: ExpositionParser.Failure.self, "accepted: \(bad)") { try ExpositionParser.parse(bad) }
        }
    }
}

/// A strict parser for the Prometheus text format 0.0.4, used to check exposition syntax.
enum ExpositionParser {
    struct Failure: Error, CustomStringConvertible {
        var line: String
        var reason: String
        var description: String { "\(reason): \(line)" }
    }

    struct Sample {
        var name: String
        var labels: [String: String]
        var rawValue: String
        var value: Double
    }

    /// Parses every line, checking that samples follow `name{labels} value` and belong to the
    /// family announced by the preceding `# TYPE` line.
    static func parse(_ text: String) throws -> [Sample] {
        guard text.isEmpty || text.hasSuffix("\n") else { throw Failure(line: text, reason: "no final line feed") }
        var samples: [Sample] = []
        var family: (name: String, type: String)?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst("# HELP ".count)
                guard let name = rest.split(separator: " ", maxSplits: 1).first, isMetricName(String(name)) else {
                    throw Failure(line: line, reason: "bad HELP")
                }
                var escape = false
                for character in rest {
                    if escape {
                        guard character == "\\" || character == "n" else { throw Failure(line: line, reason: "bad HELP escape") }
                        escape = false
                    } else if character == "\\" {
                        escape = true
                    }
                }
                guard !escape else { throw Failure(line: line, reason: "dangling HELP escape") }
                continue
            }
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst("# TYPE ".count).split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, isMetricName(String(parts[0])),
                      ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[1]))
                else { throw Failure(line: line, reason: "bad TYPE") }
                family = (String(parts[0]), String(parts[1]))
                continue
            }
            guard !line.hasPrefix("#") else { throw Failure(line: line, reason: "unknown comment") }
            let sample = try parseSample(line)
            guard let family else { throw Failure(line: line, reason: "sample before TYPE") }
            let allowed = family.type == "histogram"
                ? ["_bucket", "_sum", "_count"].map { family.name + $0 }
                : [family.name]
            guard allowed.contains(sample.name) else { throw Failure(line: line, reason: "sample outside its family") }
            if sample.name.hasSuffix("_bucket"), family.type == "histogram", sample.labels["le"] == nil {
                throw Failure(line: line, reason: "bucket without le")
            }
            samples.append(sample)
        }
        return samples
    }

    private static func parseSample(_ line: String) throws -> Sample {
        let characters = Array(line)
        var index = 0
        var name = ""
        while index < characters.count, characters[index] != "{", characters[index] != " " {
            name.append(characters[index])
            index += 1
        }
        guard isMetricName(name) else { throw Failure(line: line, reason: "bad metric name") }
        var labels: [String: String] = [:]
        if index < characters.count, characters[index] == "{" {
            index += 1
            while true {
                guard index < characters.count else { throw Failure(line: line, reason: "unterminated labels") }
                if characters[index] == "}" { index += 1; break }
                if !labels.isEmpty {
                    guard characters[index] == "," else { throw Failure(line: line, reason: "missing comma") }
                    index += 1
                }
                var labelName = ""
                while index < characters.count, characters[index] != "=" {
                    labelName.append(characters[index])
                    index += 1
                }
                guard isLabelName(labelName), labels[labelName] == nil else { throw Failure(line: line, reason: "bad label name") }
                guard index + 1 < characters.count, characters[index + 1] == "\"" else {
                    throw Failure(line: line, reason: "unquoted label value")
                }
                index += 2
                var value = ""
                while true {
                    guard index < characters.count else { throw Failure(line: line, reason: "unterminated label value") }
                    let character = characters[index]
                    index += 1
                    if character == "\"" { break }
                    if character == "\\" {
                        guard index < characters.count else { throw Failure(line: line, reason: "dangling escape") }
                        switch characters[index] {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw Failure(line: line, reason: "bad escape")
                        }
                        index += 1
                    } else {
                        value.append(character)
                    }
                }
                labels[labelName] = value
            }
        }
        guard index < characters.count, characters[index] == " " else { throw Failure(line: line, reason: "missing space") }
        let rawValue = String(characters[(index + 1)...])
        let value: Double? = switch rawValue {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: rawValue.contains(where: { !"0123456789.eE+-".contains($0) }) ? nil : Double(rawValue)
        }
        guard let value else { throw Failure(line: line, reason: "bad value") }
        return Sample(name: name, labels: labels, rawValue: rawValue, value: value)
    }

    private static func isMetricName(_ name: String) -> Bool {
        MetricsRegistry.isValidMetricName(name)
    }

    private static func isLabelName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
