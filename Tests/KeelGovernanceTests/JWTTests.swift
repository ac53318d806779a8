import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import KeelTestSupport
import Testing
@testable import KeelGovernance

@Suite("JWT verification")
struct JWTTests {
    let keys: JWKS
    let verifier = JWTVerifier(issuer: "https://idp.example.com/", audience: "keel")

    init() throws {
        keys = try JWKS(parsing: Array(JWTFixtures.jwks.utf8))
    }

    @Test func theJWKSHasOneRSAAndOneP256Key() {
        #expect(keys.count == 2)
        #expect(keys.skipped == 0)
    }

    @Test func goodRS256AndES256TokensVerify() throws {
        let rs = try verifier.verify(JWTFixtures.goodRS256, keys: keys, now: JWTFixtures.now)
        #expect(rs["sub"]?.stringValue == "alice@example.com")
        // ES256: raw r||s signature, converted to DER for OpenSSL; `aud` as a list.
        let es = try verifier.verify(JWTFixtures.goodES256, keys: keys, now: JWTFixtures.now)
        #expect(es["sub"]?.stringValue == "bob@example.com")
    }

    @Test(arguments: [
        (JWTFixtures.expired, "expired"),
        (JWTFixtures.notYetValid, "not valid yet"),
        (JWTFixtures.wrongIssuer, "another issuer"),
        (JWTFixtures.wrongAudience, "another audience"),
        (JWTFixtures.badSignature, "does not verify"),
        (JWTFixtures.tamperedPayload, "does not verify"),
        (JWTFixtures.algNone, "algorithm is not accepted"),
        (JWTFixtures.hs256, "algorithm is not accepted"),
        (JWTFixtures.unknownKid, "not in the configured JWKS"),
        (JWTFixtures.noExp, "no expiry"),
        ("not.a.jwt", "well-formed"),
        ("eyJhbGciOiJSUzI1NiJ9", "well-formed"),
    ])
    func badTokensAreRefusedWithTheReason(token: String, reason: String) {
        #expect {
            _ = try verifier.verify(token, keys: keys, now: JWTFixtures.now)
        } throws: { error in
            guard let error = error as? GovernanceError else { return false }
            return error.code == .invalidToken && error.status == 401 && error.message.contains(reason)
        }
    }

    @Test func leewayToleratesSmallClockSkew() throws {
        // The expired fixture expired at 1_700_003_600.
        _ = try verifier.verify(JWTFixtures.expired, keys: keys, now: 1_700_003_630)
        #expect(throws: GovernanceError.self) { try verifier.verify(JWTFixtures.expired, keys: keys, now: 1_700_003_700) }
    }

    @Test func anEmptyKeySetRefusesEveryToken() {
        #expect(throws: GovernanceError.self) { try verifier.verify(JWTFixtures.goodRS256, keys: .empty, now: JWTFixtures.now) }
    }

    @Test func jwksSkipsKeysItCannotUse() throws {
        let document = #"""
        {"keys":[{"kty":"oct","k":"c2VjcmV0"},{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},
                 {"kty":"EC","crv":"P-384","x":"AA","y":"AA"},{"kty":"RSA","n":"AQAB","e":"AQAB"}]}
        """#
        let jwks = try JWKS(parsing: Array(document.utf8))
        #expect(jwks.count == 0)
        #expect(jwks.skipped == 4)
        #expect(throws: GovernanceError.self) { try JWKS(parsing: Array("[]".utf8)) }
    }

    @Test func ecdsaSignaturesBecomeDER() {
        let r = [UInt8](repeating: 0x80, count: 32)
        let s = [UInt8](repeating: 0, count: 31) + [0x05]
        let der = JWTPublicKey.derSignature(r: r[...], s: s[...])
        #expect(der == [0x30, 38, 0x02, 33, 0x00] + r + [0x02, 1, 0x05])
    }

    @Test func base64URLDecodes() {
        #expect(Base64URL.decode("aGVsbG8") == Array("hello".utf8))
        #expect(Base64URL.decode("_-8") == [0xff, 0xef])
        #expect(Base64URL.decode("a+b") == nil)
    }
}

@Suite("SSO claims mapping")
struct TokenClaimsTests {
    static func authenticator() throws -> TokenAuthenticator {
        let directory = TemporaryDirectoryForJWKS()
        let config = JWTAuthConfig(
            keys: .file(directory.path), issuer: "https://idp.example.com/", audience: "keel",
            roleMap: ["ml-leads": "team_admin", "engineers": "developer", "auditors": "viewer", "platform-admins": "super_admin"]
        )
        return try TokenAuthenticator(config: config, client: nil, logger: Logger(label: "t", sink: LogSink.memory().0))
    }

    let teams: @Sendable (String) -> String? = { $0 == "platform" ? "team_platform" : nil }

    @Test func claimsMapToTeamRoleAndUser() throws {
        let tokens = try Self.authenticator()
        defer { tokens.stop() }
        let admin = try tokens.authenticate(JWTFixtures.goodRS256, now: JWTFixtures.now, resolveTeam: teams)
        #expect(admin == Caller(credential: .token(subject: "alice@example.com"), role: .teamAdmin, teamID: "team_platform", userID: "alice@example.com"))
        let developer = try tokens.authenticate(JWTFixtures.goodES256, now: JWTFixtures.now, resolveTeam: teams)
        #expect(developer.role == .developer)
        #expect(try tokens.authenticate(JWTFixtures.viewer, now: JWTFixtures.now, resolveTeam: teams).role == .viewer)
        #expect(try tokens.authenticate(JWTFixtures.superAdmin, now: JWTFixtures.now, resolveTeam: teams).role == .superAdmin)
    }

    @Test func aTokenForATeamKeelDoesNotKnowIsForbidden() throws {
        let tokens = try Self.authenticator()
        defer { tokens.stop() }
        #expect {
            _ = try tokens.authenticate(JWTFixtures.otherTeam, now: JWTFixtures.now, resolveTeam: teams)
        } throws: { ($0 as? GovernanceError)?.status == 403 }
    }

    @Test func aJWKSURLIsFetchedInTheBackgroundAndAFailedRefreshKeepsTheKeys() async throws {
        let failing = Locked(false)
        let server = try TestHTTPServer { request, connection in
            if failing.value {
                try connection.respond(status: 503, body: "down")
            } else {
                try connection.respond(headers: [("content-type", "application/json")], body: JWTFixtures.jwks)
            }
        }
        defer { server.stop() }
        let client = HTTPClient()
        defer { client.shutdown() }
        let config = JWTAuthConfig(keys: .url(server.url("/jwks.json")), issuer: "https://idp.example.com/", audience: "keel")
        let tokens = try TokenAuthenticator(config: config, client: client, logger: Logger(label: "t", sink: LogSink.memory().0))
        defer { tokens.stop() }
        for _ in 0..<200 where tokens.keyCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(tokens.keyCount == 2)
        _ = try tokens.authenticate(JWTFixtures.goodES256, now: JWTFixtures.now, resolveTeam: teams)
        failing.value = true
        await tokens.refresh()
        #expect(tokens.keyCount == 2)
        #expect(server.requestCount == 2)
    }

    @Test func aMissingOrEmptyJWKSFileStopsStartup() {
        let config = JWTAuthConfig(keys: .file("/nonexistent/jwks.json"), issuer: "i", audience: "a")
        #expect(throws: GovernanceError.self) { try TokenAuthenticator(config: config, client: nil, logger: Logger(label: "t", sink: LogSink.memory().0)) }
    }
}

/// The fixture JWKS written to a temporary file.
final class TemporaryDirectoryForJWKS: Sendable {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "keel-jwks-\(UInt64.random(in: 0...UInt64.max)).json"
        _ = FileManager.default.createFile(atPath: path, contents: Data(JWTFixtures.jwks.utf8))
    }
}
