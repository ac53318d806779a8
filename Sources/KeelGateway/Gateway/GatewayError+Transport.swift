import KeelHTTP

extension GatewayError {
    /// A failure to talk to the provider at all (connect failure, timeout, reset), as the client sees it:
    /// timeouts are 504, everything else 502. Upstream HTTP error answers are mapped by each wire
    /// format's codec (`decodeError`) instead.
    init(transport error: HTTPClientError, provider: String) {
        switch error.code {
        case .connectTimeout, .firstByteTimeout, .totalTimeout:
            self.init(.upstreamUnavailable, status: 504, message: "The provider '\(provider)' did not answer in time (\(error.code)).", type: "timeout_error", code: "upstream_timeout")
        case .cancelled:
            self.init(.upstreamUnavailable, status: 499, message: "The request was cancelled.", type: "server_error", code: "cancelled")
        case .responseTooLarge:
            self.init(.upstreamProtocol, status: 502, message: "The provider '\(provider)' sent a response larger than Keel accepts.", type: "upstream_error", code: "upstream_response_too_large")
        default:
            self.init(.upstreamUnavailable, status: 502, message: "Keel could not reach the provider '\(provider)' (\(error.code)).", type: "upstream_error", code: "upstream_unreachable")
        }
    }
}
