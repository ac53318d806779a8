internal import CCrypto
import Foundation

/// A signature algorithm Keel accepts for tokens. `none` and the HMAC algorithms are never accepted:
/// a token must be signed by the identity provider's private key.
public enum JWTAlgorithm: String, Sendable {
    case rs256 = "RS256"
    case es256 = "ES256"
}

/// One public key from a JWKS document; owns its OpenSSL `EVP_PKEY` and frees it in `deinit`.
///
/// `@unchecked Sendable`: the key is immutable after construction, and OpenSSL allows concurrent
/// verifications with one `EVP_PKEY` (each verification uses its own `EVP_MD_CTX`).
final class JWTPublicKey: @unchecked Sendable {
    let kid: String?
    let algorithm: JWTAlgorithm
    private let pkey: OpaquePointer

    private init(kid: String?, algorithm: JWTAlgorithm, pkey: OpaquePointer) {
        self.kid = kid
        self.algorithm = algorithm
        self.pkey = pkey
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// An RSA key from its big-endian modulus and exponent.
    static func rsa(kid: String?, modulus: [UInt8], exponent: [UInt8]) -> JWTPublicKey? {
        guard !modulus.isEmpty, !exponent.isEmpty, modulus.count >= 256 else { return nil } // at least 2048 bits
        // OSSL_PARAM big numbers are native-endian (little-endian on every platform Keel runs on).
        var n = Array(modulus.reversed())
        var e = Array(exponent.reversed())
        return n.withUnsafeMutableBufferPointer { nb in
            e.withUnsafeMutableBufferPointer { eb in
                fromData(type: "RSA") { names in
                    [
                        OSSL_PARAM_construct_BN(names("n"), nb.baseAddress, nb.count),
                        OSSL_PARAM_construct_BN(names("e"), eb.baseAddress, eb.count),
                    ]
                }
            }
        }.map { JWTPublicKey(kid: kid, algorithm: .rs256, pkey: $0) }
    }

    /// A P-256 key from its affine coordinates.
    static func p256(kid: String?, x: [UInt8], y: [UInt8]) -> JWTPublicKey? {
        guard x.count == 32, y.count == 32 else { return nil }
        var point: [UInt8] = [0x04] + x + y
        var group = Array("P-256".utf8CString)
        return point.withUnsafeMutableBufferPointer { pb in
            group.withUnsafeMutableBufferPointer { gb in
                fromData(type: "EC") { names in
                    [
                        OSSL_PARAM_construct_utf8_string(names("group"), gb.baseAddress, 0),
                        OSSL_PARAM_construct_octet_string(names("pub"), pb.baseAddress, pb.count),
                    ]
                }
            }
        }.map { JWTPublicKey(kid: kid, algorithm: .es256, pkey: $0) }
    }

    /// Builds a public key with `EVP_PKEY_fromdata`. `makeParams` gets a function returning C strings for
    /// parameter names that stay valid until the key is built.
    private static func fromData(type: String, _ makeParams: ((String) -> UnsafePointer<CChar>) -> [OSSL_PARAM]) -> OpaquePointer? {
        var names: [UnsafeMutablePointer<CChar>] = []
        defer { names.forEach { free($0) } }
        var params = makeParams { name in
            let copy = strdup(name)!
            names.append(copy)
            return UnsafePointer(copy)
        }
        params.append(OSSL_PARAM_construct_end())
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, type, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_fromdata_init(ctx) == 1 else { return nil }
        var key: OpaquePointer?
        // EVP_PKEY_PUBLIC_KEY (a compound macro Swift does not import): OSSL_KEYMGMT_SELECT_ALL_PARAMETERS
        // (0x84) | OSSL_KEYMGMT_SELECT_PUBLIC_KEY (0x02) — the public key and its domain parameters.
        let selection: Int32 = 0x86
        let ok = params.withUnsafeMutableBufferPointer { EVP_PKEY_fromdata(ctx, &key, selection, $0.baseAddress) }
        guard ok == 1, let key else { return nil }
        return key
    }

    /// Whether `signature` is this key's signature of `message` (SHA-256). ES256 signatures are the raw
    /// 64-byte `r || s` of JWS and are converted to DER for OpenSSL.
    func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        let der: [UInt8]
        switch algorithm {
        case .rs256:
            der = signature
        case .es256:
            guard signature.count == 64 else { return false }
            der = Self.derSignature(r: signature[0..<32], s: signature[32..<64])
        }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, pkey) == 1 else { return false }
        return der.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, msg.baseAddress, msg.count) == 1
            }
        }
    }

    /// `SEQUENCE { INTEGER r, INTEGER s }` in DER.
    static func derSignature(r: ArraySlice<UInt8>, s: ArraySlice<UInt8>) -> [UInt8] {
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty { value = [0] }
            if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = integer(r) + integer(s)
        return [0x30, UInt8(body.count)] + body
    }
}
