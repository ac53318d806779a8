import Foundation
import KeelCore

/// The `server:` section: how Keel listens and protects itself.
public struct ServerConfig: Sendable, Equatable {
    /// `listen` — the address and port to bind, `HOST:PORT`. Default `127.0.0.1:4000`; IPv6 as `[::1]:4000`.
    public var listen: ListenAddress
    /// `master_key` — the super-admin bearer token. Default: none (an empty value also means none).
    public var masterKey: Secret?
    /// `max_body_bytes` — the largest request body accepted, > 0. Default 16777216 (16 MiB).
    public var maxBodyBytes: Int
    /// `max_connections` — the most simultaneous client connections, > 0. Default 1024.
    public var maxConnections: Int
    /// `idle_timeout_s` — seconds an idle keep-alive connection stays open, >= 0; 0 means no limit. Default 60.
    public var idleTimeout: Duration
    /// `shutdown_timeout_s` — seconds graceful shutdown waits for in-flight requests, >= 0. Default 30.
    public var shutdownTimeout: Duration
    /// `threads` — event loops (threads) serving connections and upstream calls, >= 0; 0 means one per CPU core. Default 0.
    public var threads: Int
    /// `busy_poll_us` — microseconds an event loop keeps polling without sleeping after activity,
    /// 0–10000; 0 turns busy polling off. Default 100. Trades idle CPU for lower latency: see
    /// docs/configuration.md.
    public var busyPoll: Duration
    /// `log_level` — `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`. Default `info`.
    public var logLevel: LogLevel

    /// Creates server settings; every argument defaults as documented on its property.
    public init(
        listen: ListenAddress = .default,
        masterKey: Secret? = nil,
        maxBodyBytes: Int = 16_777_216,
        maxConnections: Int = 1024,
        idleTimeout: Duration = .seconds(60),
        shutdownTimeout: Duration = .seconds(30),
        threads: Int = 0,
        busyPoll: Duration = .microseconds(100),
        logLevel: LogLevel = .info
    ) {
        self.listen = listen
        self.masterKey = masterKey
        self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.shutdownTimeout = shutdownTimeout
        self.threads = threads
        self.busyPoll = busyPoll
        self.logLevel = logLevel
    }

    /// ``threads``, with 0 resolved to the number of active CPU cores.
    public var effectiveThreadCount: Int {
        threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }
}

extension ServerConfig {
    static let logLevels: KeyValuePairs<String, LogLevel> = [
        "trace": .trace, "debug": .debug, "info": .info, "notice": .notice,
        "warning": .warning, "error": .error, "critical": .critical,
    ]

    init(decoding reader: inout MappingReader) {
        let defaults = ServerConfig()
        var listen = defaults.listen
        if let value = reader.take("listen"), let text = value.string() {
            do throws(ListenAddress.ParseError) {
                listen = try ListenAddress(parsing: text)
            } catch {
                value.report(error.message)
            }
        }
        self.init(
            listen: listen,
            masterKey: reader.secret("master_key"),
            maxBodyBytes: reader.int("max_body_bytes", .atLeast(1)) ?? defaults.maxBodyBytes,
            maxConnections: reader.int("max_connections", .atLeast(1)) ?? defaults.maxConnections,
            idleTimeout: reader.seconds("idle_timeout_s", .atLeast(0)) ?? defaults.idleTimeout,
            shutdownTimeout: reader.seconds("shutdown_timeout_s", .atLeast(0)) ?? defaults.shutdownTimeout,
            threads: reader.int("threads", .atLeast(0)) ?? defaults.threads,
            busyPoll: reader.int("busy_poll_us", .between(0, 10_000)).map { .microseconds($0) } ?? defaults.busyPoll,
            logLevel: reader.choice("log_level", Self.logLevels) ?? defaults.logLevel
        )
    }
}
