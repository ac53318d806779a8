import KeelCore
import KeelHTTP

extension ProviderEndpoint {
    /// Google's Gemini API: `{base_url}/v1beta/models/{model}:generateContent`,
    /// `…:streamGenerateContent?alt=sse` for streams and `…:batchEmbedContents` for embeddings, with
    /// the key in the `x-goog-api-key` header — never in the URL, which ends up in logs.
    ///
    /// The model may be configured as `gemini-2.5-flash`, `models/gemini-2.5-flash` or
    /// `tunedModels/NAME`; its name is percent-encoded as one path segment. A `base_url` that already
    /// ends in an API version (`/v1beta`, `/v1`, `/v1alpha`) is used as it is.
    func geminiRequest(_ operation: UpstreamOperation, model: String, body: [UInt8], timeouts: HTTPClientTimeouts) throws(GatewayError) -> HTTPClientRequest {
        let method: String
        switch operation {
        case .chat(stream: false): method = ":generateContent"
        case .chat(stream: true): method = ":streamGenerateContent?alt=sse"
        case .embeddings: method = ":batchEmbedContents"
        }
        var headers = HTTPHeaders()
        if let key = provider.apiKey { headers.add(name: "x-goog-api-key", value: key.reveal()) }
        return post(geminiBase() + "/" + Self.geminiModelPath(model) + method, operation, headers: headers, body: body, timeouts: timeouts)
    }

    /// `base_url` with the API version Keel speaks (`/v1beta`) unless it names one itself.
    func geminiBase() -> String {
        let base = provider.baseURL
        for version in ["/v1beta", "/v1", "/v1alpha"] where base.hasSuffix(version) { return base }
        return base + "/v1beta"
    }

    /// The URL path of a model resource, its name percent-encoded: `models/gemini-2.5-flash`.
    static func geminiModelPath(_ model: String) -> String {
        let parts = GeminiCodec.resourceName(model).split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        return "\(parts[0])/\(PercentEncoding.encode(String(parts.count > 1 ? parts[1] : "")))"
    }
}
