import Foundation
import KeelConfig
import KeelCore
import KeelServer

/// A temporary directory removed when the value is released.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "keel-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(prefix)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Builds Keel through the real composition root on a free loopback port, with its store in a
/// temporary directory and logs captured in memory, runs `body`, and shuts it down.
public func withTestApplication<T>(
    configure: (inout KeelConfig) -> Void = { _ in },
    logLevel: LogLevel = .debug,
    _ body: (Application, _ logs: @Sendable () -> [String]) async throws -> T
) async throws -> T {
    let directory = TemporaryDirectory()
    var config = KeelConfig()
    config.server.listen = ListenAddress(host: "127.0.0.1", port: 0)
    config.server.threads = 2
    // Test suites run many servers at once on few cores: no busy polling here (the event-loop
    // tests and the suites that run the `keel` binary cover it).
    config.server.busyPoll = .zero
    config.server.shutdownTimeout = .seconds(5)
    config.storage.url = .sqlite(path: directory.path + "/keel.db")
    configure(&config)
    let (sink, lines) = LogSink.memory()
    let app = try buildApplication(config: config, logger: Logger(label: "keel", level: logLevel, sink: sink))
    try app.start()
    do {
        let result = try await body(app, lines)
        await app.shutdown()
        _ = directory
        return result
    } catch {
        await app.shutdown()
        throw error
    }
}
