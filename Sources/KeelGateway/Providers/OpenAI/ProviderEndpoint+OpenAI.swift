import KeelConfig
import KeelCore
import KeelHTTP

extension ProviderEndpoint {
    /// OpenAI and every OpenAI-compatible server: `{base_url}/chat/completions` and
    /// `{base_url}/embeddings`, with the key as a bearer token (none when no key is configured, as
    /// for a local Ollama or vLLM).
    func openAIRequest(_ operation: UpstreamOperation, body: [UInt8], timeouts: HTTPClientTimeouts) throws(GatewayError) -> HTTPClientRequest {
        let path = operation == .embeddings ? "/embeddings" : "/chat/completions"
        var headers = HTTPHeaders()
        if let key = provider.apiKey { headers.add(name: "authorization", value: "Bearer \(key.reveal())") }
        return post(provider.baseURL + path, operation, headers: headers, body: body, timeouts: timeouts)
    }

    /// Azure OpenAI: `{base_url}/openai/deployments/{deployment}/{operation}?api-version=…` with the
    /// key in the `api-key` header. The route's `model` is the deployment name.
    func azureRequest(_ operation: UpstreamOperation, deployment: String, body: [UInt8], timeouts: HTTPClientTimeouts) throws(GatewayError) -> HTTPClientRequest {
        let path = operation == .embeddings ? "embeddings" : "chat/completions"
        let version = provider.apiVersion ?? ProviderConfig.defaultAzureAPIVersion
        let url = "\(provider.baseURL)/openai/deployments/\(PercentEncoding.encode(deployment))/\(path)?api-version=\(PercentEncoding.encode(version))"
        var headers = HTTPHeaders()
        if let key = provider.apiKey { headers.add(name: "api-key", value: key.reveal()) }
        return post(url, operation, headers: headers, body: body, timeouts: timeouts)
    }
}
