import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
@testable import KeelGateway
import Testing

@Suite("ProviderEndpoint: Bedrock")
struct BedrockEndpointTests {
    static let body = Array(#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#.utf8)
    /// 2024-07-01T12:00:00Z.
    static let date = Date(timeIntervalSince1970: 1_719_835_200)

    static func provider(sessionToken: String? = nil, apiKey: String? = nil, headers: [String: String] = [:]) -> ProviderConfig {
        ProviderConfig(
            name: "aws", kind: .bedrock, apiKey: apiKey.map(Secret.init), region: "us-east-1",
            accessKeyID: apiKey == nil ? Secret("AKIDEXAMPLE") : nil,
            secretAccessKey: apiKey == nil ? Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY") : nil,
            sessionToken: sessionToken.map(Secret.init), headers: headers)
    }

    static func request(_ provider: ProviderConfig, _ operation: UpstreamOperation = .chat(stream: false), model: String = "anthropic.claude-3-5-sonnet-20240620-v1:0") throws -> HTTPClientRequest {
        try ProviderEndpoint(provider: provider).bedrockRequest(operation, model: model, body: body, timeouts: HTTPClientTimeouts(), date: date)
    }

    /// The expected signatures were computed with botocore 1.43 (`botocore.auth.SigV4Auth`, service
    /// `bedrock`, region `us-east-1`, the same headers and time).
    @Test func signaturesMatchBotocore() throws {
        let r = try Self.request(Self.provider())
        #expect(r.url == "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse")
        #expect(r.headers.first("x-amz-date") == "20240701T120000Z")
        #expect(r.headers.first("x-amz-content-sha256") == "c3335e07d6e89650bf94cb98664be69f8774dbc3198df221f113db0a59ea14f0")
        #expect(r.headers.first("authorization") == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240701/us-east-1/bedrock/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=b406c051c26ca7bbddb2e4f9d6c2f05a7936d560c1dddd8cb2c59ac12759c771")

        let temporary = try Self.request(Self.provider(sessionToken: "FwoGZXIvYXdzEXAMPLETOKEN"))
        #expect(temporary.headers.first("x-amz-security-token") == "FwoGZXIvYXdzEXAMPLETOKEN")
        #expect(temporary.headers.first("authorization")?.hasSuffix("SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=86a49f092e01d96c3b0628db4f01fd8a1163fce0b8c1adb9879f39c252f85efb") == true)
    }

    @Test func streamsAndEmbeddingsUseTheirOperations() throws {
        let stream = try Self.request(Self.provider(), .chat(stream: true))
        #expect(stream.url.hasSuffix("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream"))
        #expect(stream.headers.first("accept") == "application/vnd.amazon.eventstream")
        let embeddings = try Self.request(Self.provider(), .embeddings, model: "amazon.titan-embed-text-v2:0")
        #expect(embeddings.url == "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke")
        #expect(embeddings.headers.first("accept") == "application/json")
        #expect(embeddings.headers.first("authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240701/us-east-1/bedrock/aws4_request") == true)
        // An ARN is one path segment.
        let arn = try Self.request(Self.provider(), model: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0")
        #expect(arn.url.hasSuffix("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse"))
    }

    @Test func configuredHeadersAreSignedToo() throws {
        let r = try Self.request(Self.provider(headers: ["X-Amzn-Bedrock-GuardrailIdentifier": "gr-1"]))
        #expect(r.headers.first("x-amzn-bedrock-guardrailidentifier") == "gr-1")
        #expect(r.headers.first("authorization")?.contains("SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date;x-amzn-bedrock-guardrailidentifier,") == true)
    }

    @Test func anAPIKeyIsABearerTokenAndNothingIsSigned() throws {
        let r = try ProviderEndpoint(provider: Self.provider(apiKey: "ABSKexampleKey")).request(.chat(stream: false), model: "amazon.nova-lite-v1:0", body: Self.body, inbound: ["authorization": "Bearer sk-keel-client"], timeouts: HTTPClientTimeouts())
        #expect(r.headers.first("authorization") == "Bearer ABSKexampleKey")
        #expect(r.headers.first("x-amz-date") == nil)
        #expect(r.url == "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse")
    }

    @Test func withoutCredentialsTheRequestIsUnsigned() throws {
        let r = try ProviderEndpoint(provider: ProviderConfig(name: "proxy", kind: .bedrock, baseURL: "http://bedrock-proxy.internal:8080", region: "eu-west-1")).request(.chat(stream: false), model: "m", body: Self.body, inbound: [:], timeouts: HTTPClientTimeouts())
        #expect(r.url == "http://bedrock-proxy.internal:8080/model/m/converse")
        #expect(r.headers.first("authorization") == nil)
    }
}
