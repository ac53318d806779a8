import Foundation
import KeelCore
import KeelHTTP

/// AWS credentials for request signing: an access key pair and, for temporary credentials, a
/// session token.
///
/// `description`, `debugDescription` and reflection never show the secret key or the session
/// token, and show only the first four characters of the access key id.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The access key id (`AKIA…` for long-term keys, `ASIA…` for temporary ones).
    public var accessKeyID: String
    /// The secret access key.
    public var secretAccessKey: Secret
    /// The session token of temporary credentials, sent as `x-amz-security-token`; nil for
    /// long-term keys.
    public var sessionToken: Secret?

    /// Credentials from an access key pair and an optional session token.
    public init(accessKeyID: String, secretAccessKey: Secret, sessionToken: Secret? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String {
        let id = accessKeyID.count > 4 ? "\(accessKeyID.prefix(4))…" : "****"
        return "AWSCredentials(accessKeyID: \(id), secretAccessKey: ********, sessionToken: \(sessionToken == nil ? "none" : "********"))"
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

/// An error raised by ``AWSSigV4``. Messages never contain credentials or header values.
public struct AWSSigV4Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The URL is not an absolute `http://` or `https://` URL with a host.
        public static let invalidURL = Code("invalidURL")
        /// The payload hash given is not 64 lower-case hexadecimal digits (nor `UNSIGNED-PAYLOAD`).
        public static let invalidPayloadHash = Code("invalidPayloadHash")

        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// Human-readable details, safe to log.
    public var message: String

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "AWSSigV4Error(\(code)): \(message)" }
}

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for requests authorized with an
/// `Authorization` header.
///
/// Signing builds, in this order (names as in the AWS documentation):
///
/// 1. the **canonical request**: the method; the canonical URI; the canonical query string; the
///    canonical headers (one `name:value` line each, then an empty line); the signed header names
///    joined with `;`; the hex SHA-256 of the payload — all joined with `\n`;
/// 2. the **string to sign**: `AWS4-HMAC-SHA256`, the `x-amz-date` timestamp, the credential scope
///    `YYYYMMDD/region/service/aws4_request` and the hex SHA-256 of the canonical request, joined
///    with `\n`;
/// 3. the **signing key**: HMAC-SHA256 chained from `"AWS4" + secret` over the date, the region,
///    the service and `aws4_request`;
/// 4. the **signature**: the hex HMAC-SHA256 of the string to sign under the signing key.
///
/// ## The canonical URI, and why Bedrock paths look encoded twice
///
/// The path must travel on the wire already percent-encoded (RFC 3986): a Bedrock model id such as
/// `anthropic.claude-3-5-sonnet-20240620-v1:0` is a single path segment, so its `:` is sent as
/// `%3A`, and the `/` inside an ARN (`arn:aws:bedrock:…:inference-profile/…`) as `%2F` — otherwise
/// the service would split the ARN into two segments. ``bedrockRuntimeURL(region:modelID:operation:endpoint:)``
/// builds such paths.
///
/// For every service except S3, SigV4 then URI-encodes that wire path *once more* to form the
/// canonical URI: each byte outside the unreserved set `A–Z a–z 0–9 - . _ ~` (and other than `/`)
/// becomes `%XX`, including the `%` of the existing escapes. So the wire path
/// `/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse` has the canonical URI
/// `/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse`. The service does the same with
/// the path it receives, so the signature matches only if the wire path is exactly the string that
/// was signed: never re-encode or decode the URL after signing. Before encoding, the path is
/// normalized as the AWS SDKs do: `.` and `..` segments are resolved and empty segments (`//`)
/// removed, keeping a leading and a trailing `/`; an empty path is `/`.
///
/// For S3 (``doubleEncodesPath`` false) the path is neither normalized nor encoded twice: each
/// segment is decoded and encoded once.
///
/// ## Headers
///
/// Every header passed in is signed except hop-by-hop and proxy-modified ones (`authorization`,
/// `user-agent`, `connection`, `expect`, `transfer-encoding`, `x-amzn-trace-id` and the like, see
/// ``unsignedHeaderNames``). Signing adds `host` (from the URL, unless given), `x-amz-date`,
/// `x-amz-content-sha256` (when ``addsContentSHA256Header``) and `x-amz-security-token` (when the
/// credentials have a session token). Canonical header names are lower-cased; values are trimmed,
/// runs of whitespace inside them collapse to one space, and repeated fields join with `,`.
///
/// ## Query
///
/// The raw query is split at `&` and each parameter at its first `=`; names and values are
/// percent-decoded (a `+` stays a literal plus, not a space), re-encoded with the RFC 3986
/// unreserved set, and sorted by encoded name, then encoded value. A parameter without `=` has an
/// empty value.
public struct AWSSigV4: Sendable {
    /// The credentials that sign.
    public var credentials: AWSCredentials
    /// The region, such as `us-east-1`.
    public var region: String
    /// The signing name of the service, such as `bedrock` (also for the Bedrock Runtime endpoint).
    public var service: String
    /// Whether signing adds and signs `x-amz-content-sha256` (the hex SHA-256 of the payload).
    /// Default true; Bedrock accepts it and S3 requires it.
    public var addsContentSHA256Header: Bool
    /// Whether the canonical URI is the normalized wire path encoded once more. Default true for
    /// every service except `s3`.
    public var doubleEncodesPath: Bool

    /// The algorithm name in the `Authorization` header and the string to sign.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// The hex SHA-256 of an empty payload.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Lower-case names of headers that are never signed even when present: they are hop-by-hop,
    /// rewritten by proxies or added by clients after signing.
    public static let unsignedHeaderNames: Set<String> = [
        "authorization", "cache-control", "connection", "expect", "from", "keep-alive", "max-forwards",
        "pragma", "proxy-authorization", "referer", "te", "trailer", "transfer-encoding", "upgrade",
        "user-agent", "x-amzn-trace-id",
    ]

    /// A signer for `service` in `region`.
    ///
    /// - Parameters:
    ///   - addsContentSHA256Header: see ``addsContentSHA256Header``; default true.
    ///   - doubleEncodesPath: see ``doubleEncodesPath``; default nil, meaning `service != "s3"`.
    public init(
        credentials: AWSCredentials,
        region: String,
        service: String,
        addsContentSHA256Header: Bool = true,
        doubleEncodesPath: Bool? = nil
    ) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.addsContentSHA256Header = addsContentSHA256Header
        self.doubleEncodesPath = doubleEncodesPath ?? (service.lowercased() != "s3")
    }

    /// The outcome of signing: the headers to add to the request and the intermediate strings.
    ///
    /// `description`, `debugDescription` and reflection show only the signed header names and the
    /// signature: ``headers`` and ``canonicalRequest`` hold the session token of temporary
    /// credentials.
    public struct SignedRequest: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// The headers to add to (or replace in) the request: `x-amz-date`, `x-amz-content-sha256`
        /// when enabled, `x-amz-security-token` with a session token, and `authorization`.
        public var headers: HTTPHeaders
        /// The canonical request that was hashed (with the session token, if any: do not log it).
        public var canonicalRequest: String
        /// The string to sign.
        public var stringToSign: String
        /// The signed header names, lower-case, sorted and joined with `;`.
        public var signedHeaders: String
        /// The signature, 64 lower-case hex digits.
        public var signature: String
        /// The `Authorization` header value.
        public var authorization: String

        public var description: String { "SignedRequest(signedHeaders: \(signedHeaders), signature: \(signature))" }
        public var debugDescription: String { description }
        public var customMirror: Mirror {
            Mirror(self, children: ["signedHeaders": signedHeaders, "signature": signature], displayStyle: .struct)
        }
    }

    /// Signs a request whose payload is `body`.
    ///
    /// - Parameters:
    ///   - method: the HTTP method, such as `POST`.
    ///   - url: the absolute URL exactly as it will be sent (path already percent-encoded).
    ///   - headers: the headers that will be sent; all but ``unsignedHeaderNames`` are signed.
    ///   - body: the payload; hashed into the signature.
    ///   - date: the signing time; default now.
    public func sign(
        method: String,
        url: String,
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8],
        date: Date = Date()
    ) throws(AWSSigV4Error) -> SignedRequest {
        try sign(method: method, url: url, headers: headers, payloadHash: Digest.hex(Digest.sha256(body)), date: date)
    }

    /// Signs a request whose payload hash is already known.
    ///
    /// - Parameter payloadHash: the lower-case hex SHA-256 of the payload, or `UNSIGNED-PAYLOAD`.
    public func sign(
        method: String,
        url: String,
        headers: HTTPHeaders = HTTPHeaders(),
        payloadHash: String,
        date: Date = Date()
    ) throws(AWSSigV4Error) -> SignedRequest {
        guard payloadHash == "UNSIGNED-PAYLOAD" || Self.isLowerHexSHA256(payloadHash) else {
            throw AWSSigV4Error(.invalidPayloadHash, "the payload hash must be 64 lower-case hexadecimal digits")
        }
        let target = try RequestTarget(url)
        let amzDate = Self.amzDate(date)
        let day = String(amzDate.prefix(8))

        // The headers that are sent and signed, lower-cased, with values in order.
        var signed: [String: [String]] = [:]
        for field in headers {
            let name = Self.trimmed(field.name).lowercased()
            if Self.unsignedHeaderNames.contains(name) { continue }
            signed[name, default: []].append(field.value)
        }
        if signed["host"] == nil { signed["host"] = [target.hostHeader] }
        var added = HTTPHeaders()
        added.add(name: "x-amz-date", value: amzDate)
        signed["x-amz-date"] = [amzDate]
        if addsContentSHA256Header {
            added.add(name: "x-amz-content-sha256", value: payloadHash)
            signed["x-amz-content-sha256"] = [payloadHash]
        }
        if let token = credentials.sessionToken {
            added.add(name: "x-amz-security-token", value: token.reveal())
            signed["x-amz-security-token"] = [token.reveal()]
        }

        let fields = signed.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var canonicalHeaders = ""
        for (name, values) in fields {
            canonicalHeaders += name + ":" + values.map(Self.canonicalHeaderValue).joined(separator: ",") + "\n"
        }
        let signedHeaders = fields.map(\.key).joined(separator: ";")
        let canonicalRequest = [
            method.uppercased(),
            Self.canonicalURI(path: target.path, doubleEncode: doubleEncodesPath),
            Self.canonicalQueryString(target.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            Self.algorithm,
            amzDate,
            scope,
            Digest.hex(Digest.sha256(canonicalRequest)),
        ].joined(separator: "\n")
        let key = Self.signingKey(secretAccessKey: credentials.secretAccessKey, day: day, region: region, service: service)
        let signature = Digest.hex(Digest.hmacSHA256(key: key, data: Array(stringToSign.utf8)))
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        added.add(name: "authorization", value: authorization)
        return SignedRequest(
            headers: added,
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signedHeaders: signedHeaders,
            signature: signature,
            authorization: authorization
        )
    }

    /// Signs `request` in place: its method, URL, headers and body are signed, and the signing
    /// headers are set on it (replacing any of the same name).
    public func sign(_ request: inout HTTPClientRequest, date: Date = Date()) throws(AWSSigV4Error) {
        let result = try sign(method: request.method, url: request.url, headers: request.headers, body: request.body ?? [], date: date)
        for field in result.headers {
            request.headers.replaceOrAdd(name: field.name, value: field.value)
        }
    }

    // MARK: - Building blocks

    /// The SigV4 signing key: HMAC-SHA256 chained from `"AWS4" + secret` over `day` (`YYYYMMDD`),
    /// `region`, `service` and `aws4_request`.
    public static func signingKey(secretAccessKey: Secret, day: String, region: String, service: String) -> [UInt8] {
        let kDate = Digest.hmacSHA256(key: Array(("AWS4" + secretAccessKey.reveal()).utf8), data: Array(day.utf8))
        let kRegion = Digest.hmacSHA256(key: kDate, data: Array(region.utf8))
        let kService = Digest.hmacSHA256(key: kRegion, data: Array(service.utf8))
        return Digest.hmacSHA256(key: kService, data: Array("aws4_request".utf8))
    }

    /// The `x-amz-date` form of `date`: `YYYYMMDD'T'HHMMSS'Z'` in UTC (ISO 8601 basic format).
    public static func amzDate(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let s = String(value)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T"
            + pad(secondOfDay / 3600, 2) + pad(secondOfDay / 60 % 60, 2) + pad(secondOfDay % 60, 2) + "Z"
    }

    /// Percent-encodes the UTF-8 bytes of `string` per RFC 3986 as SigV4 requires: bytes in the
    /// unreserved set `A–Z a–z 0–9 - . _ ~` stay, every other byte becomes `%XX` with upper-case
    /// hex digits; `/` stays unless `encodeSlash`.
    public static func uriEncode(_ string: String, encodeSlash: Bool = true) -> String {
        uriEncode(bytes: Array(string.utf8), encodeSlash: encodeSlash)
    }

    /// The canonical URI of a wire path (see the type's documentation).
    static func canonicalURI(path: String, doubleEncode: Bool) -> String {
        if doubleEncode {
            return uriEncode(bytes: Array(normalizedPath(path).utf8), encodeSlash: false)
        }
        if path.isEmpty { return "/" }
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { uriEncode(bytes: percentDecode(Array($0.utf8)), encodeSlash: true) }
            .joined(separator: "/")
    }

    /// Resolves `.` and `..` segments and removes empty ones, keeping a leading and a trailing `/`.
    static func normalizedPath(_ path: String) -> String {
        if path.isEmpty { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if !output.isEmpty { output.removeLast() }
                continue
            }
            output.append(segment)
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        let joined = leading + output.joined(separator: "/") + trailing
        return joined.isEmpty ? "/" : joined
    }

    /// The canonical query string of a raw (wire) query, without the `?`.
    static func canonicalQueryString(_ rawQuery: String) -> String {
        var pairs: [(name: String, value: String)] = []
        for parameter in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let bytes = Array(parameter.utf8)
            let name: [UInt8], value: [UInt8]
            if let eq = bytes.firstIndex(of: UInt8(ascii: "=")) {
                name = Array(bytes[..<eq])
                value = Array(bytes[(eq + 1)...])
            } else {
                name = bytes
                value = []
            }
            pairs.append((
                uriEncode(bytes: percentDecode(name), encodeSlash: true),
                uriEncode(bytes: percentDecode(value), encodeSlash: true)
            ))
        }
        pairs.sort { a, b in
            if a.name != b.name { return Array(a.name.utf8).lexicographicallyPrecedes(Array(b.name.utf8)) }
            return Array(a.value.utf8).lexicographicallyPrecedes(Array(b.value.utf8))
        }
        return pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// A header value as it appears in the canonical headers: trimmed, with every run of
    /// whitespace collapsed to one space.
    static func canonicalHeaderValue(_ value: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(0x20)
                pendingSpace = false
            }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func trimmed(_ s: String) -> String {
        s.trimmingCharacters(in: .whitespaces)
    }

    static func isLowerHexSHA256(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    static func uriEncode(bytes: [UInt8], encodeSlash: Bool) -> String {
        PercentEncoding.encode(bytes, keepingSlash: !encodeSlash)
    }

    /// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it is.
    static func percentDecode(_ bytes: [UInt8]) -> [UInt8] {
        func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x25, i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// The parts of an absolute URL that signing needs, taken from the string as sent.
    struct RequestTarget {
        var hostHeader: String
        var path: String
        var query: String

        init(_ url: String) throws(AWSSigV4Error) {
            guard let schemeEnd = url.range(of: "://") else {
                throw AWSSigV4Error(.invalidURL, "the URL is not absolute")
            }
            let scheme = url[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "http" || scheme == "https" else {
                throw AWSSigV4Error(.invalidURL, "the URL scheme must be http or https")
            }
            var rest = url[schemeEnd.upperBound...]
            if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            var authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            let afterAuthority = rest[authorityEnd...]
            if let q = afterAuthority.firstIndex(of: "?") {
                path = String(afterAuthority[..<q])
                query = String(afterAuthority[afterAuthority.index(after: q)...])
            } else {
                path = String(afterAuthority)
                query = ""
            }

            var host = authority
            var port: Substring = ""
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else {
                    throw AWSSigV4Error(.invalidURL, "the URL has an unterminated IPv6 address")
                }
                host = authority[...close]
                let after = authority[authority.index(after: close)...]
                if after.hasPrefix(":") { port = after.dropFirst() }
            } else if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                port = authority[authority.index(after: colon)...]
            }
            guard !host.isEmpty else { throw AWSSigV4Error(.invalidURL, "the URL has no host") }
            guard port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber) else {
                throw AWSSigV4Error(.invalidURL, "the URL has an invalid port")
            }
            let defaultPort = scheme == "https" ? "443" : "80"
            hostHeader = port.isEmpty || port == defaultPort ? String(host) : "\(host):\(port)"
        }
    }
}

// MARK: - Bedrock Runtime

extension AWSSigV4 {
    /// A Bedrock Runtime operation on a model.
    public enum BedrockOperation: String, Sendable, CaseIterable {
        /// `POST /model/{modelId}/converse`: one complete response as JSON.
        case converse = "converse"
        /// `POST /model/{modelId}/converse-stream`: the response as an `application/vnd.amazon.eventstream`.
        case converseStream = "converse-stream"
    }

    /// The Bedrock Runtime base URL of `region`: `https://bedrock-runtime.{region}.amazonaws.com`
    /// (`.amazonaws.com.cn` for the `cn-` regions).
    public static func bedrockRuntimeEndpoint(region: String) -> String {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return "https://bedrock-runtime.\(region).\(suffix)"
    }

    /// The wire path of a Bedrock Runtime operation: `/model/{modelId}/{operation}`.
    ///
    /// The model id is one path segment, encoded once with the RFC 3986 unreserved set: `:` becomes
    /// `%3A` and the `/` of an ARN becomes `%2F`. Signing encodes this path a second time for the
    /// canonical URI (see ``AWSSigV4``), so send exactly this string.
    public static func bedrockRuntimePath(modelID: String, operation: BedrockOperation) -> String {
        "/model/\(uriEncode(modelID, encodeSlash: true))/\(operation.rawValue)"
    }

    /// The full URL of a Bedrock Runtime operation on `modelID`.
    ///
    /// - Parameter endpoint: a base URL replacing the regional endpoint (a VPC endpoint, a test
    ///   server); a trailing `/` is ignored. Default nil, meaning ``bedrockRuntimeEndpoint(region:)``.
    public static func bedrockRuntimeURL(
        region: String,
        modelID: String,
        operation: BedrockOperation,
        endpoint: String? = nil
    ) -> String {
        var base = endpoint ?? bedrockRuntimeEndpoint(region: region)
        while base.hasSuffix("/") { base.removeLast() }
        return base + bedrockRuntimePath(modelID: modelID, operation: operation)
    }
}
