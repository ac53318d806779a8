/// Time limits for one ``HTTPClientRequest``; `nil` means no limit of that kind.
public struct HTTPClientTimeouts: Sendable, Hashable {
    /// Time allowed to establish the connection (DNS, TCP and TLS). Default 10 seconds.
    ///
    /// Exceeding it fails with ``HTTPClientError/Code-swift.struct/connectTimeout``.
    public var connect: Duration?
    /// Time allowed from the start of the transfer until the response headers are complete. Default none.
    ///
    /// Exceeding it fails with ``HTTPClientError/Code-swift.struct/firstByteTimeout``.
    public var firstByte: Duration?
    /// Time allowed for the whole exchange, including reading the body. Default none.
    ///
    /// Time spent with the transfer paused because the consumer reads slowly counts too.
    /// Exceeding it fails with ``HTTPClientError/Code-swift.struct/totalTimeout``; if the
    /// headers were already returned, the error is thrown by the body iterator.
    public var total: Duration?

    /// Creates timeouts; every parameter documents its default.
    public init(connect: Duration? = .seconds(10), firstByte: Duration? = nil, total: Duration? = nil) {
        self.connect = connect
        self.firstByte = firstByte
        self.total = total
    }
}

extension Duration {
    /// Whole milliseconds, rounded up and at least 1, as libcurl's `*_MS` options expect.
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 1 }
        let millisFromAtto = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return Int(Int32.max) }
        return Int(min(product + millisFromAtto, Int64(Int32.max)))
    }
}
