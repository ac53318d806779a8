import KeelCore

/// Verifies JSON Web Tokens: the signature (RS256 or ES256 only; `alg: none` and HMAC are refused),
/// the issuer, the audience, expiry and not-before, with a leeway for clock skew.
public struct JWTVerifier: Sendable {
    /// The required `iss` claim.
    public var issuer: String
    /// A value the `aud` claim must contain.
    public var audience: String
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    public var leeway: Double

    /// Creates a value with the given fields.
    public init(issuer: String, audience: String, leeway: Double = 60) {
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
    }

    /// The token's claims when it is valid at `now` (seconds since the Unix epoch) under `keys`.
    public func verify(_ token: String, keys: JWKS, now: Double) throws(GovernanceError) -> JSONObject {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerBytes = Base64URL.decode(parts[0]), let header = try? JSONValue(parsing: headerBytes).objectValue,
              let payloadBytes = Base64URL.decode(parts[1]), let claims = try? JSONValue(parsing: payloadBytes).objectValue
        else {
            throw GovernanceError(.invalidToken, "The bearer token is not a well-formed JWT.")
        }
        guard let name = header["alg"]?.stringValue, let algorithm = JWTAlgorithm(rawValue: name) else {
            throw GovernanceError(.invalidToken, "The token's signature algorithm is not accepted (use RS256 or ES256).")
        }
        guard let key = keys.key(kid: header["kid"]?.stringValue, algorithm: algorithm) else {
            throw GovernanceError(.invalidToken, "The token is signed with a key that is not in the configured JWKS.")
        }
        guard let signature = Base64URL.decode(parts[2]), !signature.isEmpty else {
            throw GovernanceError(.invalidToken, "The token's signature is missing or malformed.")
        }
        let signed = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard key.verify(signature: signature, message: signed) else {
            throw GovernanceError(.invalidToken, "The token's signature does not verify.")
        }
        guard claims["iss"]?.stringValue == issuer else {
            throw GovernanceError(.invalidToken, "The token was issued by another issuer.")
        }
        let audiences: [String]
        switch claims["aud"] {
        case .string(let one)?: audiences = [one]
        case .array(let many)?: audiences = many.compactMap(\.stringValue)
        default: audiences = []
        }
        guard audiences.contains(audience) else {
            throw GovernanceError(.invalidToken, "The token is meant for another audience.")
        }
        guard let exp = claims["exp"]?.doubleValue else {
            throw GovernanceError(.invalidToken, "The token has no expiry (exp).")
        }
        guard now < exp + leeway else {
            throw GovernanceError(.invalidToken, "The token has expired.")
        }
        if let nbf = claims["nbf"]?.doubleValue, now + leeway < nbf {
            throw GovernanceError(.invalidToken, "The token is not valid yet (nbf).")
        }
        return claims
    }
}
