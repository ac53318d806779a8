/// The `storage:` section: where state (keys, spend, logs) is kept.
public struct StorageConfig: Sendable, Equatable {
    /// `url` — `sqlite:PATH`, `sqlite::memory:` or `postgres://…` (see ``StorageURL``).
    /// Default `sqlite:./keel-data/keel.db`.
    public var url: StorageURL
    /// `flush_interval_ms` — how long the background writer may hold accepted writes before committing
    /// them, 1…60000 ms. Default 100.
    public var flushInterval: Duration
    /// `retention_days` — how many days of the request log are kept, 0…36500; older entries are
    /// deleted in the background every hour. 0 keeps everything forever. Default 30.
    public var retentionDays: Int

    /// Creates storage settings; every argument defaults as documented on its property.
    public init(url: StorageURL = .default, flushInterval: Duration = .milliseconds(100), retentionDays: Int = 30) {
        self.url = url
        self.flushInterval = flushInterval
        self.retentionDays = retentionDays
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
            flushInterval: reader.milliseconds("flush_interval_ms", .between(1, 60_000)) ?? defaults.flushInterval,
            retentionDays: reader.int("retention_days", .between(0, 36_500)) ?? defaults.retentionDays
        )
    }
}
