/// The `storage:` section: where state (keys, spend, logs) is kept.
public struct StorageConfig: Sendable, Equatable {
    /// `url` — `sqlite:PATH`, `sqlite::memory:` or `postgres://…` (see ``StorageURL``).
    /// Default `sqlite:./keel-data/keel.db`.
    public var url: StorageURL
    /// `flush_interval_ms` — how long the background writer may hold accepted writes before committing
    /// them, 1…60000 ms. Default 100.
    public var flushInterval: Duration

    /// Creates storage settings; both arguments default as documented on their properties.
    public init(url: StorageURL = .default, flushInterval: Duration = .milliseconds(100)) {
        self.url = url
        self.flushInterval = flushInterval
    }
}

extension StorageConfig {
    init(decoding reader: inout MappingReader) {
        let defaults = StorageConfig()
        var url = defaults.url
        if let value = reader.take("url"), let text = value.string() {
            do throws(StorageURL.ParseError) {
                url = try StorageURL(parsing: text)
            } catch {
                value.report(error.message)
            }
        }
        self.init(
            url: url,
            flushInterval: reader.milliseconds("flush_interval_ms", .between(1, 60_000)) ?? defaults.flushInterval
        )
    }
}
