import Foundation
import KeelCore

/// The API family a provider speaks.
public enum ProviderKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// OpenAI, or any OpenAI-compatible server (vLLM, Ollama, llama.cpp, …).
    case openai
    /// Azure OpenAI.
    case azure
    /// Anthropic's Messages API.
    case anthropic
    /// AWS Bedrock (Converse API).
    case bedrock
    /// Google Gemini (Generative Language API).
    case gemini

    public var description: String { rawValue }

    /// The `base_url` used when none is configured; nil when the kind needs one (Azure), or when a
    /// Bedrock provider has no region.
    public func defaultBaseURL(region: String? = nil) -> String? {
        switch self {
        case .openai: "https://api.openai.com/v1"
        case .anthropic: "https://api.anthropic.com"
        case .gemini: "https://generativelanguage.googleapis.com"
        case .azure: nil
        case .bedrock: region.map { "https://bedrock-runtime.\($0).amazonaws.com" }
        }
    }

    /// The keys only this kind accepts, besides the common `kind`, `base_url`, `api_key`, `headers`, `timeout_ms`.
    var specificKeys: [String] {
        switch self {
        case .azure: ["api_version"]
        case .bedrock: ["region", "access_key_id", "secret_access_key", "session_token"]
        case .openai, .anthropic, .gemini: []
        }
    }
}

/// One entry of the `providers:` mapping: how to reach an upstream API.
///
/// Keys that belong to another kind (e.g. `region` on an `openai` provider) are configuration errors.
public struct ProviderConfig: Sendable, Equatable, CustomReflectable {
    /// The default `api_version` of Azure providers.
    public static let defaultAzureAPIVersion = "2024-10-21"

    /// The key in `providers:` — letters, digits, `_`, `.` and `-`. Routes refer to it.
    public var name: String
    /// `kind` — `openai`, `azure`, `anthropic`, `bedrock` or `gemini`. Required.
    public var kind: ProviderKind
    /// `base_url` — where requests go, `http://` or `https://`, without a trailing `/`.
    /// Default per kind: openai `https://api.openai.com/v1`, anthropic `https://api.anthropic.com`,
    /// gemini `https://generativelanguage.googleapis.com`, bedrock `https://bedrock-runtime.{region}.amazonaws.com`;
    /// required for azure.
    public var baseURL: String
    /// `api_key` — the upstream credential (for bedrock: a Bedrock API key, sent as a bearer token).
    /// Default: none, e.g. for a local server.
    public var apiKey: Secret?
    /// `api_version` — azure only. Default `2024-10-21` for azure, nil for other kinds.
    public var apiVersion: String?
    /// `region` — bedrock only, required there (e.g. `us-east-1`).
    public var region: String?
    /// `access_key_id` — bedrock only: AWS access key for SigV4 signing; needs `secret_access_key`.
    public var accessKeyID: Secret?
    /// `secret_access_key` — bedrock only; needs `access_key_id`.
    public var secretAccessKey: Secret?
    /// `session_token` — bedrock only: for temporary AWS credentials.
    public var sessionToken: Secret?
    /// `headers` — extra headers sent with every upstream request, any kind. Default none.
    /// Their values are never printed (they often carry credentials).
    public var headers: [String: String]
    /// `timeout_ms` — the default upstream timeout for this provider's routes, > 0. Default: none.
    public var timeout: Duration?

    /// Creates a provider; `baseURL` and `apiVersion` default per kind as described on each property
    /// (an Azure provider without `baseURL` gets an empty one, which the loader would reject).
    public init(
        name: String,
        kind: ProviderKind,
        baseURL: String? = nil,
        apiKey: Secret? = nil,
        apiVersion: String? = nil,
        region: String? = nil,
        accessKeyID: Secret? = nil,
        secretAccessKey: Secret? = nil,
        sessionToken: Secret? = nil,
        headers: [String: String] = [:],
        timeout: Duration? = nil
    ) {
        self.name = name
        self.kind = kind
        var url = baseURL ?? kind.defaultBaseURL(region: region) ?? ""
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.apiKey = apiKey
        self.apiVersion = apiVersion ?? (kind == .azure ? Self.defaultAzureAPIVersion : nil)
        self.region = region
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.headers = headers
        self.timeout = timeout
    }

    /// Shows header names only; secrets print as `********` on their own.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "name": name, "kind": kind, "baseURL": baseURL, "apiKey": apiKey as Any,
            "apiVersion": apiVersion as Any, "region": region as Any, "accessKeyID": accessKeyID as Any,
            "secretAccessKey": secretAccessKey as Any, "sessionToken": sessionToken as Any,
            "headers": headers.keys.sorted().map { "\($0): ********" }, "timeout": timeout as Any,
        ], displayStyle: .struct)
    }
}

extension ProviderConfig {
    static let kinds: KeyValuePairs<String, ProviderKind> = [
        "openai": .openai, "azure": .azure, "anthropic": .anthropic, "bedrock": .bedrock, "gemini": .gemini,
    ]

    /// Decodes one provider; nil when its `kind` is missing or invalid (the problems are reported).
    static func decode(name: String, from reader: inout MappingReader) -> ProviderConfig? {
        let kind = reader.choice("kind", kinds, required: true)
        let baseURLValue = reader.take("base_url")
        let baseURL = baseURLValue.flatMap { $0.string() }
        let apiKey = reader.secret("api_key")
        let headers = reader.take("headers").flatMap(ConfigValue.httpHeaders) ?? [:]
        let timeout = reader.milliseconds("timeout_ms", .atLeast(1))

        guard let kind else {
            // Without a kind the remaining keys cannot be judged; accept the known ones silently.
            for other in ProviderKind.allCases { for key in other.specificKeys { _ = reader.take(key) } }
            return nil
        }
        var provider = ProviderConfig(name: name, kind: kind, apiKey: apiKey, headers: headers, timeout: timeout)
        switch kind {
        case .azure:
            // Left out, null, or a reference that expands to nothing: the default (set by `init`).
            if let value = reader.take("api_version"), let version = value.string() {
                if let problem = apiVersionProblem(version) {
                    value.report(problem)
                } else {
                    provider.apiVersion = version
                }
            }
        case .bedrock:
            let regionValue = reader.require("region")
            if let regionValue, let region = regionValue.string(required: true) {
                if region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) {
                    provider.region = region
                } else {
                    regionValue.report("\(quoted(region)) is not an AWS region name (like us-east-1)")
                }
            }
            provider.accessKeyID = reader.secret("access_key_id")
            provider.secretAccessKey = reader.secret("secret_access_key")
            provider.sessionToken = reader.secret("session_token")
            checkBedrockCredentials(provider, reader: reader)
        case .openai, .anthropic, .gemini:
            break
        }
        // Keys of other kinds get a precise error rather than "unknown key".
        let foreignKeys = Set(ProviderKind.allCases.flatMap(\.specificKeys)).subtracting(kind.specificKeys)
        for key in reader.keys where foreignKeys.contains(key) {
            guard let value = reader.take(key) else { continue }
            let owners = ProviderKind.allCases.filter { $0.specificKeys.contains(key) }.map(\.rawValue)
            value.report("\(quoted(key)) does not apply to kind \(kind) (only to \(owners.joined(separator: ", ")))", code: .unknownKey)
        }

        if let baseURLValue, let baseURL {
            if let problem = urlProblem(baseURL) {
                baseURLValue.report(problem)
            } else {
                provider.baseURL = String(baseURL.reversed().drop { $0 == "/" }.reversed())
            }
        } else {
            provider.baseURL = kind.defaultBaseURL(region: provider.region) ?? ""
            if kind == .azure {
                reader.context.report(
                    "missing required key \"base_url\" (azure providers need e.g. https://NAME.openai.azure.com)",
                    at: reader.mark, path: reader.path, code: .missingValue
                )
            }
        }
        return provider
    }

    private static func checkBedrockCredentials(_ provider: ProviderConfig, reader: MappingReader) {
        let hasID = provider.accessKeyID != nil
        let hasSecret = provider.secretAccessKey != nil
        var problem: String?
        if hasID != hasSecret {
            problem = "access_key_id and secret_access_key must be given together"
        } else if provider.sessionToken != nil && !hasID {
            problem = "session_token needs access_key_id and secret_access_key"
        } else if hasID && provider.apiKey != nil {
            problem = "use either api_key or access_key_id/secret_access_key, not both"
        }
        if let problem {
            reader.context.report(problem, at: reader.mark, path: reader.path, code: .invalidValue)
        }
    }

    /// Nil when `version` can go into the `api-version` query parameter as is: a non-empty run of
    /// letters, digits, `-`, `.` and `_` (Azure versions look like `2024-10-21` or `2025-01-01-preview`).
    static func apiVersionProblem(_ version: String) -> String? {
        if version.isEmpty {
            return "must not be empty (leave api_version out to use \(defaultAzureAPIVersion))"
        }
        let valid = version.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "-" || $0 == "." || $0 == "_"
        }
        return valid ? nil : "\(quoted(version)) is not an API version (like \(defaultAzureAPIVersion))"
    }

    /// Nil when `text` is an absolute http(s) URL with a host.
    static func urlProblem(_ text: String) -> String? {
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else {
            return "\(quoted(text)) is not an http:// or https:// URL"
        }
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            return "\(quoted(text)) is not a valid URL"
        }
        if components.query != nil || components.fragment != nil {
            return "\(quoted(text)): a base URL may not have a query or fragment"
        }
        return nil
    }
}
