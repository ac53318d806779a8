import KeelHTTP

extension ProviderEndpoint {
    /// Anthropic's Messages API: `{base_url}/v1/messages` with `x-api-key` and `anthropic-version`
    /// (the client's, else `2023-06-01`); the client's `anthropic-beta` is passed on.
    func anthropicRequest(_ operation: UpstreamOperation, body: [UInt8], inbound: HTTPHeaders, timeouts: HTTPClientTimeouts) throws(GatewayError) -> HTTPClientRequest {
        guard case .chat = operation else {
            throw Self.unsupportedOperation("Anthropic does not offer embeddings; route this model to an embeddings provider.")
        }
        var headers = HTTPHeaders()
        if let key = provider.apiKey { headers.add(name: "x-api-key", value: key.reveal()) }
        headers.add(name: "anthropic-version", value: inbound.first("anthropic-version") ?? "2023-06-01")
        if let beta = inbound.first("anthropic-beta") { headers.add(name: "anthropic-beta", value: beta) }
        return post(provider.baseURL + "/v1/messages", operation, headers: headers, body: body, timeouts: timeouts)
    }
}
