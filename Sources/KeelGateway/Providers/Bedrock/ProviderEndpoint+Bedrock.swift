import Foundation
import KeelCore
import KeelHTTP

extension ProviderEndpoint {
    /// Amazon Bedrock Runtime: Converse (`{base_url}/model/{modelId}/converse`), ConverseStream
    /// (`/converse-stream`, answered as `application/vnd.amazon.eventstream`) and, for embeddings,
    /// InvokeModel (`/invoke`).
    ///
    /// The model id (a model id such as `anthropic.claude-3-5-sonnet-20240620-v1:0`, an inference
    /// profile such as `us.anthropic.claude-sonnet-4-5-20250929-v1:0`, or an ARN) is one path segment,
    /// percent-encoded (`:` as `%3A`, the `/` of an ARN as `%2F`), see
    /// ``AWSSigV4/bedrockRuntimePath(modelID:operation:)``.
    ///
    /// Credentials: a Bedrock API key (`api_key`) is sent as `Authorization: Bearer`; otherwise an
    /// access key pair (`access_key_id`, `secret_access_key`, optional `session_token`) signs the
    /// request with SigV4 (service `bedrock`, the provider's `region`) at the current time, after the
    /// provider's configured `headers` are added so that they are signed too. Without either, the
    /// request goes out unsigned (for a gateway or proxy in front of Bedrock that signs itself).
    func bedrockRequest(_ operation: UpstreamOperation, model: String, body: [UInt8], timeouts: HTTPClientTimeouts) throws(GatewayError) -> HTTPClientRequest {
        try bedrockRequest(operation, model: model, body: body, timeouts: timeouts, date: Date())
    }

    /// ``bedrockRequest(_:model:body:timeouts:)`` signed at `date`.
    func bedrockRequest(_ operation: UpstreamOperation, model: String, body: [UInt8], timeouts: HTTPClientTimeouts, date: Date) throws(GatewayError) -> HTTPClientRequest {
        let action: String
        let accept: String
        switch operation {
        case .chat(stream: false):
            action = AWSSigV4.BedrockOperation.converse.rawValue
            accept = "application/json"
        case .chat(stream: true):
            action = AWSSigV4.BedrockOperation.converseStream.rawValue
            accept = "application/vnd.amazon.eventstream"
        case .embeddings:
            action = "invoke"
            accept = "application/json"
        }
        let url = "\(provider.baseURL)/model/\(AWSSigV4.uriEncode(model, encodeSlash: true))/\(action)"
        var headers = HTTPHeaders()
        if let key = provider.apiKey { headers.add(name: "authorization", value: "Bearer \(key.reveal())") }
        var request = post(url, operation, headers: headers, body: body, timeouts: timeouts, accept: accept)
        guard provider.apiKey == nil, let accessKeyID = provider.accessKeyID, let secret = provider.secretAccessKey else {
            return request
        }
        guard let region = provider.region, !region.isEmpty else {
            throw GatewayError(.upstreamUnavailable, status: 500, message: "The Bedrock provider '\(provider.name)' has no region to sign requests for.", type: "server_error", code: "provider_misconfigured")
        }
        let signer = AWSSigV4(
            credentials: AWSCredentials(accessKeyID: accessKeyID.reveal(), secretAccessKey: secret, sessionToken: provider.sessionToken),
            region: region,
            service: "bedrock")
        do {
            try signer.sign(&request, date: date)
        } catch {
            throw GatewayError(.upstreamUnavailable, status: 500, message: "The request to the Bedrock provider '\(provider.name)' could not be signed: \(error.message)", type: "server_error", code: "provider_misconfigured")
        }
        return request
    }
}
