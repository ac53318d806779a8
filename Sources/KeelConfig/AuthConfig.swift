/// The `auth:` section: who may call Keel beyond the master key, and how fast.
///
/// ```yaml
/// auth:
///   jwt:
///     jwks_file: ./jwks.json            # or jwks_url: https://idp.example.com/.well-known/jwks.json
///     issuer: https://idp.example.com/
///     audience: keel
///     team_claim: team                  # claim naming the Keel team (id or name)
///     role_claim: role
///     role_map: {platform-admins: super_admin, ml-leads: team_admin, engineers: developer}
///   model_limits:
///     gpt-4o-mini: {rpm: 600, tpm: 1000000}
///   default_max_tokens: 4096
/// ```
public struct AuthConfig: Sendable, Equatable {
    /// `jwt` — single sign-on with JSON Web Tokens. Default: none (only keys are accepted).
    public var jwt: JWTAuthConfig?
    /// `model_limits` — requests and tokens per minute for each model, across all callers. Default: none.
    public var modelLimits: [String: RateLimitConfig]
    /// `default_max_tokens` — the output tokens assumed for a request that sets no `max_tokens`, when
    /// reserving its worst-case cost against budgets and token limits, >= 1. Default 4096.
    public var defaultMaxTokens: Int

    /// Creates auth settings; every argument defaults as documented on its property.
    public init(jwt: JWTAuthConfig? = nil, modelLimits: [String: RateLimitConfig] = [:], defaultMaxTokens: Int = 4096) {
        self.jwt = jwt
        self.modelLimits = modelLimits
        self.defaultMaxTokens = defaultMaxTokens
    }
}

/// Requests and tokens per minute; nil means unlimited.
public struct RateLimitConfig: Sendable, Equatable {
    /// `rpm` — requests per minute, >= 1. Default unlimited.
    public var rpm: Int?
    /// `tpm` — tokens (prompt + completion) per minute, >= 1. Default unlimited.
    public var tpm: Int?

    /// Creates a value with the given fields.
    public init(rpm: Int? = nil, tpm: Int? = nil) {
        self.rpm = rpm
        self.tpm = tpm
    }
}

/// The `auth.jwt:` section: how bearer JSON Web Tokens are verified and mapped to a team and role.
public struct JWTAuthConfig: Sendable, Equatable {
    /// Where the signing keys (a JWKS document) come from.
    public enum KeySource: Sendable, Equatable {
        /// `jwks_file` — a local file, re-read every refresh interval.
        case file(String)
        /// `jwks_url` — fetched at start and every refresh interval (never per request).
        case url(String)
    }

    /// `jwks_file` or `jwks_url` — exactly one is required.
    public var keys: KeySource
    /// `issuer` — the required `iss` claim. Required.
    public var issuer: String
    /// `audience` — a value the `aud` claim must contain. Required.
    public var audience: String
    /// `team_claim` — the claim holding the Keel team id or name. Default `team`.
    public var teamClaim: String
    /// `role_claim` — the claim holding the caller's role (a string or a list of strings). Default `role`.
    public var roleClaim: String
    /// `user_claim` — the claim identifying the user, for per-user budgets and the audit log. Default `sub`.
    public var userClaim: String
    /// `role_map` — claim value → Keel role (`super_admin`, `team_admin`, `developer`, `viewer`). Values that
    /// are already role names map to themselves. Default: none.
    public var roleMap: [String: String]
    /// `default_role` — the role when no claim value maps to one. Default `developer`.
    public var defaultRole: String
    /// `refresh_interval_s` — how often the JWKS is reloaded, >= 10. Default 300.
    public var refreshInterval: Duration
    /// `leeway_s` — clock skew tolerated on `exp` and `nbf`, 0…300. Default 60.
    public var leeway: Duration

    /// Creates JWT settings; everything but `keys`, `issuer` and `audience` defaults as documented.
    public init(
        keys: KeySource, issuer: String, audience: String, teamClaim: String = "team", roleClaim: String = "role", userClaim: String = "sub",
        roleMap: [String: String] = [:], defaultRole: String = "developer", refreshInterval: Duration = .seconds(300), leeway: Duration = .seconds(60)
    ) {
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.teamClaim = teamClaim
        self.roleClaim = roleClaim
        self.userClaim = userClaim
        self.roleMap = roleMap
        self.defaultRole = defaultRole
        self.refreshInterval = refreshInterval
        self.leeway = leeway
    }
}

extension AuthConfig {
    /// The roles a token or key can carry.
    static let roles: KeyValuePairs<String, String> = [
        "super_admin": "super_admin", "team_admin": "team_admin", "developer": "developer", "viewer": "viewer",
    ]

    init(decoding reader: inout MappingReader) {
        let defaults = AuthConfig()
        let jwt = reader.section("jwt") { JWTAuthConfig(decoding: &$0) } ?? nil
        var limits: [String: RateLimitConfig] = [:]
        if var models = reader.take("model_limits")?.mapping() {
            for (name, _, value) in models.takeAll() {
                guard var limit = value.mapping() else { continue }
                let config = RateLimitConfig(rpm: limit.int("rpm", .between(1, 1_000_000_000_000)), tpm: limit.int("tpm", .between(1, 1_000_000_000_000)))
                limit.finish()
                value.context.references.append(.init(target: .model, name: name, value: value, owner: nil))
                limits[name] = config
            }
        }
        self.init(jwt: jwt, modelLimits: limits, defaultMaxTokens: reader.int("default_max_tokens", .between(1, 100_000_000)) ?? defaults.defaultMaxTokens)
    }
}

extension JWTAuthConfig {
    init?(decoding reader: inout MappingReader) {
        let fileValue = reader.take("jwks_file")
        let urlValue = reader.take("jwks_url")
        let file = fileValue?.string()
        let url = urlValue?.string()
        let issuer = reader.string("issuer", required: true)
        let audience = reader.string("audience", required: true)
        let teamClaim = reader.string("team_claim") ?? "team"
        let roleClaim = reader.string("role_claim") ?? "role"
        let userClaim = reader.string("user_claim") ?? "sub"
        var roleMap: [String: String] = [:]
        if var map = reader.take("role_map")?.mapping() {
            for (claimValue, _, value) in map.takeAll() {
                if let role = value.choice(AuthConfig.roles, required: true) { roleMap[claimValue] = role }
            }
        }
        let defaultRole = reader.choice("default_role", AuthConfig.roles) ?? "developer"
        let refresh = reader.seconds("refresh_interval_s", .atLeast(10)) ?? .seconds(300)
        let leeway = reader.seconds("leeway_s", .between(0, 300)) ?? .seconds(60)
        let keys: KeySource
        switch (file, url) {
        case (let file?, nil):
            keys = .file(file)
        case (nil, let url?):
            // The keys decide who may act as whom: plain http only on the loopback interface,
            // where nobody on the network path can swap them.
            let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"].contains { prefix in
                url.hasPrefix(prefix + ":") || url.hasPrefix(prefix + "/") || url == prefix
            }
            guard url.hasPrefix("https://") || loopback else {
                urlValue?.report("jwks_url must be an https:// URL (plain http only on 127.0.0.1, localhost or [::1])")
                return nil
            }
            keys = .url(url)
        case (.some, .some):
            urlValue?.report("set either jwks_file or jwks_url, not both")
            return nil
        case (nil, nil):
            if fileValue == nil && urlValue == nil {
                reader.context.report("missing required key \"jwks_file\" or \"jwks_url\"", at: reader.mark, path: reader.path, code: .missingValue)
            }
            return nil
        }
        guard let issuer, let audience else { return nil }
        self.init(
            keys: keys, issuer: issuer, audience: audience, teamClaim: teamClaim, roleClaim: roleClaim, userClaim: userClaim,
            roleMap: roleMap, defaultRole: defaultRole, refreshInterval: refresh, leeway: leeway
        )
    }
}
