import KeelHTTP

extension ProviderEndpoint {
    /// AWS Bedrock Runtime: Converse and ConverseStream.
    func bedrockRequest(_ operation: UpstreamOperation, model: String, body: [UInt8], timeouts: HTTPClientTimeouts) throws(GatewayError) -> HTTPClientRequest {
        throw notAvailable()
    }
}
