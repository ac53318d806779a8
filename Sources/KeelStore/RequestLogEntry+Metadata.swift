extension RequestLogEntry {
    /// The ``RequestLogEntry/metadata`` keys Keel itself writes and queries by.
    public enum MetadataKey {
        /// The caller's team (``RequestLogQuery/team`` filters on it; indexed).
        public static let team = "team"
        /// The virtual key's id, never the key (``RequestLogQuery/keyID`` filters on it; indexed).
        public static let keyID = "key_id"
        /// The request span's W3C trace id (32 hex digits), when the request was traced.
        public static let traceID = "trace_id"
        /// The request span's id (16 hex digits), when the request was traced.
        public static let spanID = "span_id"
        /// The request's cost in US dollars, as a decimal number.
        public static let costUSD = "cost_usd"
        /// Guardrail findings, a JSON array (stored as text).
        public static let guardrailFindings = "guardrail_findings"
        /// `estimated` when the token usage is Keel's count because the upstream reported none.
        public static let usage = "usage"
    }
}
