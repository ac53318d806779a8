import KeelHTTP

extension ProviderEndpoint {
    /// Google Gemini: `generateContent` and `streamGenerateContent`.
    func geminiRequest(_ operation: UpstreamOperation, model: String, body: [UInt8], timeouts: HTTPClientTimeouts) throws(GatewayError) -> HTTPClientRequest {
        throw notAvailable()
    }
}
