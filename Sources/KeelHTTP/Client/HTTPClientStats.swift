/// A snapshot of an ``HTTPClient``'s transfer counters, for metrics.
///
/// `transfersStarted == transfersCompleted + transfersFailed + transfersCancelled + activeTransfers`
/// once the counters settle; each field is read separately, so a snapshot taken while transfers
/// finish may be off by the transfers finishing at that moment.
public struct HTTPClientStats: Sendable, Hashable {
    /// Transfers handed to the network since the client was created.
    public var transfersStarted: Int
    /// Transfers that received a complete response (of any HTTP status).
    public var transfersCompleted: Int
    /// Transfers that ended with an error other than cancellation.
    public var transfersFailed: Int
    /// Transfers cancelled by their caller (task cancelled, body abandoned) or by shutdown.
    public var transfersCancelled: Int
    /// Transfers in flight now.
    public var activeTransfers: Int

    /// Creates a snapshot.
    public init(transfersStarted: Int, transfersCompleted: Int, transfersFailed: Int, transfersCancelled: Int, activeTransfers: Int) {
        self.transfersStarted = transfersStarted
        self.transfersCompleted = transfersCompleted
        self.transfersFailed = transfersFailed
        self.transfersCancelled = transfersCancelled
        self.activeTransfers = activeTransfers
    }
}
