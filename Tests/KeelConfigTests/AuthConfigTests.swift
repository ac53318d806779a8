import Testing
@testable import KeelConfig

@Suite("auth section")
struct AuthConfigTests {
    static let models = """
    models:
      - name: gpt-4o-mini
        routes: [{provider: openai, model: gpt-4o-mini}]

    """

    @Test func defaultsWhenAbsent() throws {
        let config = try parseConfig(minimalProviders)
        #expect(config.auth == AuthConfig())
        #expect(config.auth.defaultMaxTokens == 4096)
        #expect(config.auth.jwt == nil)
    }

    @Test func aFullSectionDecodes() throws {
        let config = try parseConfig(minimalProviders + Self.models + """
        auth:
          jwt:
            jwks_url: https://idp.example.com/.well-known/jwks.json
            issuer: https://idp.example.com/
            audience: keel
            team_claim: groups
            role_claim: roles
            user_claim: email
            role_map: {platform-admins: super_admin, ml-leads: team_admin}
            default_role: viewer
            refresh_interval_s: 60
            leeway_s: 30
          model_limits:
            gpt-4o-mini: {rpm: 600, tpm: 100000}
          default_max_tokens: 1024
        """)
        let jwt = try #require(config.auth.jwt)
        #expect(jwt.keys == .url("https://idp.example.com/.well-known/jwks.json"))
        #expect(jwt.issuer == "https://idp.example.com/")
        #expect(jwt.audience == "keel")
        #expect(jwt.teamClaim == "groups")
        #expect(jwt.roleClaim == "roles")
        #expect(jwt.userClaim == "email")
        #expect(jwt.roleMap == ["platform-admins": "super_admin", "ml-leads": "team_admin"])
        #expect(jwt.defaultRole == "viewer")
        #expect(jwt.refreshInterval == .seconds(60))
        #expect(jwt.leeway == .seconds(30))
        #expect(config.auth.modelLimits == ["gpt-4o-mini": RateLimitConfig(rpm: 600, tpm: 100_000)])
        #expect(config.auth.defaultMaxTokens == 1024)
    }

    @Test func jwksFileAndClaimDefaults() throws {
        let config = try parseConfig(minimalProviders + """
        auth:
          jwt: {jwks_file: ./jwks.json, issuer: "https://idp/", audience: keel}
        """)
        let jwt = try #require(config.auth.jwt)
        #expect(jwt.keys == .file("./jwks.json"))
        #expect(jwt.teamClaim == "team")
        #expect(jwt.roleClaim == "role")
        #expect(jwt.userClaim == "sub")
        #expect(jwt.defaultRole == "developer")
    }

    @Test(arguments: [
        ("auth:\n  jwt: {issuer: i, audience: a}\n", "jwks_file"),
        ("auth:\n  jwt: {jwks_file: f, jwks_url: \"https://x\", issuer: i, audience: a}\n", "not both"),
        ("auth:\n  jwt: {jwks_url: \"ftp://x\", issuer: i, audience: a}\n", "http"),
        ("auth:\n  jwt: {jwks_file: f, audience: a}\n", "issuer"),
        ("auth:\n  jwt: {jwks_file: f, issuer: i, audience: a, role_map: {x: admin}}\n", "super_admin"),
        ("auth:\n  jwt: {jwks_file: f, issuer: i, audience: a, leeway_s: 900}\n", "between 0 and 300"),
        ("auth:\n  model_limits: {gpt-4o-mini: {rpm: 0}}\n", "must be between 1 and 1000000000000"),
        ("auth:\n  model_limits: {gpt-4o-mimi: {rpm: 5}}\n", "unknown model"),
        ("auth:\n  model_limits: {gpt-4o-mini: {rps: 5}}\n", "unknown key"),
        ("auth:\n  jtw: {}\n", "did you mean \"jwt\""),
    ])
    func mistakesAreReportedWithTheirLine(yaml: String, message: String) throws {
        let error = try #require(configError(minimalProviders + Self.models + yaml))
        #expect(error.description.contains(message), "\(error.description)")
        #expect(error.diagnostics.allSatisfy { $0.line > 0 })
    }
}
