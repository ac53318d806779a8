import KeelCore

/// A parsed JSON Web Key Set: the identity provider's public signing keys.
public struct JWKS: Sendable {
    let keys: [JWTPublicKey]
    /// Keys of the document that were skipped (unsupported type or curve, too short, malformed).
    public let skipped: Int

    /// How many usable keys the set has.
    public var count: Int { keys.count }

    /// No keys (every token is rejected).
    public static let empty = JWKS(keys: [], skipped: 0)

    init(keys: [JWTPublicKey], skipped: Int) {
        self.keys = keys
        self.skipped = skipped
    }

    /// Parses a JWKS document (`{"keys": [...]}`). RSA keys (`n`, `e`, at least 2048 bits) and P-256 EC
    /// keys (`x`, `y`) are used; keys marked for encryption (`"use": "enc"`) and other types are skipped.
    public init(parsing bytes: [UInt8]) throws(GovernanceError) {
        guard let document = try? JSONValue(parsing: bytes), let list = document["keys"]?.arrayValue else {
            throw GovernanceError(.invalidJWKS, "the JWKS document is not JSON with a \"keys\" list")
        }
        var keys: [JWTPublicKey] = []
        var skipped = 0
        for jwk in list {
            let kid = jwk["kid"]?.stringValue
            if let use = jwk["use"]?.stringValue, use != "sig" {
                skipped += 1
                continue
            }
            var key: JWTPublicKey?
            switch jwk["kty"]?.stringValue {
            case "RSA":
                if let n = jwk["n"]?.stringValue.flatMap(Base64URL.decode), let e = jwk["e"]?.stringValue.flatMap(Base64URL.decode),
                   jwk["alg"]?.stringValue ?? "RS256" == "RS256" {
                    key = JWTPublicKey.rsa(kid: kid, modulus: Array(n.drop { $0 == 0 }), exponent: e)
                }
            case "EC":
                if jwk["crv"]?.stringValue == "P-256", let x = jwk["x"]?.stringValue.flatMap(Base64URL.decode),
                   let y = jwk["y"]?.stringValue.flatMap(Base64URL.decode), jwk["alg"]?.stringValue ?? "ES256" == "ES256" {
                    key = JWTPublicKey.p256(kid: kid, x: x, y: y)
                }
            default:
                break
            }
            if let key { keys.append(key) } else { skipped += 1 }
        }
        self.init(keys: keys, skipped: skipped)
    }

    /// The key for a token's header: by `kid` when the token names one, otherwise the only key of the algorithm.
    func key(kid: String?, algorithm: JWTAlgorithm) -> JWTPublicKey? {
        let candidates = keys.filter { $0.algorithm == algorithm }
        if let kid { return candidates.first { $0.kid == kid } }
        return candidates.count == 1 ? candidates[0] : nil
    }
}
