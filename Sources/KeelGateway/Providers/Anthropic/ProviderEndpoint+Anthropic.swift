import KeelHTTP

extension ProviderEndpoint {
    /// Anthropic's Messages API: `{base_url}/v1/messages` with `x-api-key` and `anthropic-version`
    /// (the client's, else `2023-06-01`); the client's `anthropic-beta` is passed on.
    func anthropicRequest(_ operation: UpstreamOperation, body: [UInt8], inbound: HTTPHeaders, timeouts: HTTPClientTimeouts) throws(GatewayError) -> HTTPClientRequest {
        guard case .chat = operation else {
            throw Self.unsupportedOperation("Anthropic does not offer embeddings; route this model to an embeddings provider.")
        }
        return post(provider.baseURL + "/v1/messages", operation, headers: anthropicHeaders(inbound), body: body, timeouts: timeouts)
    }

    /// Anthropic's token counting: `{base_url}/v1/messages/count_tokens`, with the same headers as
    /// a Messages request.
    func anthropicCountTokensRequest(body: [UInt8], inbound: HTTPHeaders, timeouts: HTTPClientTimeouts) -> HTTPClientRequest {
        post(provider.baseURL + "/v1/messages/count_tokens", .chat(stream: false), headers: anthropicHeaders(inbound), body: body, timeouts: timeouts)
    }

    private func anthropicHeaders(_ inbound: HTTPHeaders) -> HTTPHeaders {
        var headers = HTTPHeaders()
        if let key = provider.apiKey { headers.add(name: "x-api-key", value: key.reveal()) }
        headers.add(name: "anthropic-version", value: inbound.first("anthropic-version") ?? "2023-06-01")
        if let beta = inbound.first("anthropic-beta") { headers.add(name: "anthropic-beta", value: beta) }
        return headers
    }
}
