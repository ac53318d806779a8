import Foundation
import KeelCore
import KeelHTTP
@testable import KeelGateway
import Testing

/// SigV4 against the published AWS vectors (the `aws-sig-v4-test-suite` of 2015-08-30 and the IAM
/// example of the SigV4 documentation) and Bedrock requests.
@Suite("AWS Signature Version 4")
struct AWSSigV4Tests {
    /// The credentials, region, service and time of the AWS test suite.
    static let exampleCredentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE",
        secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    )
    /// 2015-08-30T12:36:00Z.
    static let exampleDate = Date(timeIntervalSince1970: 1_440_938_160)

    /// The test suite signs only the headers it lists, so no `x-amz-content-sha256`.
    static let suiteSigner = AWSSigV4(
        credentials: exampleCredentials,
        region: "us-east-1",
        service: "service",
        addsContentSHA256Header: false
    )

    static func suite(
        _ method: String,
        _ pathAndQuery: String,
        headers: HTTPHeaders = HTTPHeaders(),
        body: String = ""
    ) throws -> AWSSigV4.SignedRequest {
        try suiteSigner.sign(
            method: method,
            url: "https://example.amazonaws.com" + pathAndQuery,
            headers: headers,
            body: Array(body.utf8),
            date: exampleDate
        )
    }

    static let vanillaScope = "20150830/us-east-1/service/aws4_request"

    // MARK: - Published vectors

    @Test func getVanilla() throws {
        let signed = try Self.suite("GET", "/")
        #expect(signed.canonicalRequest == """
            GET
            /

            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
            """)
        #expect(signed.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(signed.headers["x-amz-date"] == "20150830T123600Z")
        #expect(signed.headers["authorization"] == signed.authorization)
        #expect(signed.headers["x-amz-content-sha256"] == nil)
        #expect(signed.headers["x-amz-security-token"] == nil)
        #expect(signed.headers["host"] == nil)
    }

    @Test func getVanillaQueryOrderKeyCase() throws {
        let signed = try Self.suite("GET", "/?Param2=value2&Param1=value1")
        #expect(signed.canonicalRequest == """
            GET
            /
            Param1=value1&Param2=value2
            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.signature == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    }

    @Test func getHeaderValueTrim() throws {
        let signed = try Self.suite("GET", "/", headers: [
            "My-Header1": " value1",
            "My-Header2": " \"a   b   c\"",
        ])
        #expect(signed.canonicalRequest == """
            GET
            /

            host:example.amazonaws.com
            my-header1:value1
            my-header2:"a b c"
            x-amz-date:20150830T123600Z

            host;my-header1;my-header2;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.signedHeaders == "host;my-header1;my-header2;x-amz-date")
        #expect(signed.signature == "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736")
    }

    @Test func postVanillaQuery() throws {
        let signed = try Self.suite("POST", "/?Param1=value1")
        #expect(signed.canonicalRequest == """
            POST
            /
            Param1=value1
            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.signature == "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11")
    }

    @Test func postXWWWFormURLEncoded() throws {
        let signed = try Self.suite(
            "POST", "/",
            headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: "Param1=value1"
        )
        #expect(signed.canonicalRequest == """
            POST
            /

            content-type:application/x-www-form-urlencoded
            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            content-type;host;x-amz-date
            9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
            """)
        #expect(signed.signature == "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
    }

    /// The worked example of the SigV4 documentation ("Examples of the complete Signature Version 4
    /// signing process").
    @Test func iamListUsersDocumentationExample() throws {
        let signer = AWSSigV4(credentials: Self.exampleCredentials, region: "us-east-1", service: "iam", addsContentSHA256Header: false)
        let signed = try signer.sign(
            method: "GET",
            url: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
            headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"],
            body: [],
            date: Self.exampleDate
        )
        #expect(signed.canonicalRequest == """
            GET
            /
            Action=ListUsers&Version=2010-05-08
            content-type:application/x-www-form-urlencoded; charset=utf-8
            host:iam.amazonaws.com
            x-amz-date:20150830T123600Z

            content-type;host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/iam/aws4_request
            f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59
            """)
        let key = AWSSigV4.signingKey(secretAccessKey: Self.exampleCredentials.secretAccessKey, day: "20150830", region: "us-east-1", service: "iam")
        #expect(Digest.hex(key) == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
        #expect(signed.signature == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }

    // MARK: - Building blocks

    @Test func emptyPayloadHash() {
        #expect(Digest.hex(Digest.sha256([UInt8]())) == AWSSigV4.emptyPayloadHash)
        #expect(AWSSigV4.emptyPayloadHash == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func amzDateFormatsUTC() {
        #expect(AWSSigV4.amzDate(Self.exampleDate) == "20150830T123600Z")
        #expect(AWSSigV4.amzDate(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
        #expect(AWSSigV4.amzDate(Date(timeIntervalSince1970: 951_782_399.9)) == "20000228T235959Z")
        #expect(AWSSigV4.amzDate(Date(timeIntervalSince1970: 951_782_400)) == "20000229T000000Z")
        #expect(AWSSigV4.amzDate(Date(timeIntervalSince1970: 4_102_444_800)) == "21000101T000000Z")
    }

    @Test func uriEncodeKeepsOnlyUnreserved() {
        #expect(AWSSigV4.uriEncode("AZaz09-._~") == "AZaz09-._~")
        #expect(AWSSigV4.uriEncode("a b+c*d/e:f%") == "a%20b%2Bc%2Ad%2Fe%3Af%25")
        #expect(AWSSigV4.uriEncode("/a b/c", encodeSlash: false) == "/a%20b/c")
        #expect(AWSSigV4.uriEncode("ሴ") == "%E1%88%B4")
    }

    @Test func canonicalQuerySortsByEncodedNameThenValue() {
        #expect(AWSSigV4.canonicalQueryString("") == "")
        #expect(AWSSigV4.canonicalQueryString("b=2&a=1&a=0") == "a=0&a=1&b=2")
        // Upper case sorts before lower case (byte order).
        #expect(AWSSigV4.canonicalQueryString("a=1&B=2") == "B=2&a=1")
        // A parameter without "=" has an empty value; empty parameters disappear.
        #expect(AWSSigV4.canonicalQueryString("Param1&&x=") == "Param1=&x=")
        // Escapes are decoded then re-encoded canonically; "+" is a literal plus.
        #expect(AWSSigV4.canonicalQueryString("k=a%2fb%7E+c&sp=a%20b") == "k=a%2Fb~%2Bc&sp=a%20b")
    }

    @Test func canonicalHeaderValueTrimsAndCollapses() {
        #expect(AWSSigV4.canonicalHeaderValue("  a   b \t c  ") == "a b c")
        #expect(AWSSigV4.canonicalHeaderValue("plain") == "plain")
        #expect(AWSSigV4.canonicalHeaderValue("   ") == "")
    }

    /// Path normalization of the test suite's `get-slash*` and `get-relative*` cases (canonical
    /// URIs as listed there).
    @Test func canonicalURINormalizesNonS3Paths() {
        #expect(AWSSigV4.canonicalURI(path: "", doubleEncode: true) == "/")
        #expect(AWSSigV4.canonicalURI(path: "//", doubleEncode: true) == "/")
        #expect(AWSSigV4.canonicalURI(path: "//example//", doubleEncode: true) == "/example/")
        #expect(AWSSigV4.canonicalURI(path: "/example/..", doubleEncode: true) == "/")
        #expect(AWSSigV4.canonicalURI(path: "/example1/example2/../..", doubleEncode: true) == "/")
        #expect(AWSSigV4.canonicalURI(path: "/./", doubleEncode: true) == "/")
        #expect(AWSSigV4.canonicalURI(path: "/./example", doubleEncode: true) == "/example")
        #expect(AWSSigV4.canonicalURI(path: "/example space/", doubleEncode: true) == "/example%20space/")
        #expect(AWSSigV4.canonicalURI(path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", doubleEncode: true)
            == "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    }

    @Test func s3PathsAreEncodedOnceAndNotNormalized() {
        #expect(AWSSigV4.canonicalURI(path: "/bucket/a%3Ab//c", doubleEncode: false) == "/bucket/a%3Ab//c")
        #expect(AWSSigV4.canonicalURI(path: "/bucket/a:b c", doubleEncode: false) == "/bucket/a%3Ab%20c")
        #expect(AWSSigV4.canonicalURI(path: "/bucket/x%2Fy", doubleEncode: false) == "/bucket/x%2Fy")
        let signer = AWSSigV4(credentials: Self.exampleCredentials, region: "us-east-1", service: "s3")
        #expect(!signer.doubleEncodesPath)
        #expect(Self.suiteSigner.doubleEncodesPath)
    }

    @Test func hostHeaderComesFromTheURL() throws {
        func host(_ url: String) throws -> String {
            let signed = try Self.suiteSigner.sign(method: "GET", url: url, body: [], date: Self.exampleDate)
            let line = signed.canonicalRequest.split(separator: "\n").first { $0.hasPrefix("host:") }
            return String(line?.dropFirst(5) ?? "")
        }
        #expect(try host("https://example.amazonaws.com") == "example.amazonaws.com")
        #expect(try host("https://example.amazonaws.com:443/x") == "example.amazonaws.com")
        #expect(try host("http://example.amazonaws.com:80/x") == "example.amazonaws.com")
        #expect(try host("http://127.0.0.1:8080/x?y=1") == "127.0.0.1:8080")
        #expect(try host("https://[::1]:9443/x") == "[::1]:9443")
        // An explicit Host header wins.
        let signed = try Self.suiteSigner.sign(method: "GET", url: "http://127.0.0.1:8080/", headers: ["Host": "example.amazonaws.com"], body: [], date: Self.exampleDate)
        #expect(signed.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func unsignableHeadersAreLeftOut() throws {
        let signed = try Self.suite("GET", "/", headers: [
            "User-Agent": "keel",
            "Authorization": "Bearer old",
            "X-Amzn-Trace-Id": "Root=1",
            "Connection": "keep-alive",
        ])
        #expect(signed.signedHeaders == "host;x-amz-date")
        #expect(signed.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func repeatedHeadersJoinWithCommas() throws {
        var headers = HTTPHeaders()
        headers.add(name: "My-Header1", value: "value4")
        headers.add(name: "my-header1", value: " value1 ")
        headers.add(name: "MY-HEADER1", value: "value3")
        let signed = try Self.suite("GET", "/", headers: headers)
        #expect(signed.canonicalRequest.contains("\nmy-header1:value4,value1,value3\n"))
        #expect(signed.signedHeaders == "host;my-header1;x-amz-date")
    }

    @Test func invalidURLsAndHashesAreRejected() {
        for url in ["example.amazonaws.com/", "ftp://example.amazonaws.com/", "https:///path", "https://host:12a/"] {
            #expect(throws: AWSSigV4Error.self) {
                try Self.suiteSigner.sign(method: "GET", url: url, body: [], date: Self.exampleDate)
            }
        }
        do {
            _ = try Self.suiteSigner.sign(method: "GET", url: "https://h/", payloadHash: "ABC", date: Self.exampleDate)
            Issue.record("an invalid payload hash was accepted")
        } catch {
            #expect(error.code == .invalidPayloadHash)
        }
    }

    // MARK: - Session tokens and payload hash header

    @Test func sessionTokenIsAddedAndSigned() throws {
        let credentials = AWSCredentials(
            accessKeyID: "AKIDEXAMPLE",
            secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            sessionToken: Secret("session-token-value")
        )
        let signer = AWSSigV4(credentials: credentials, region: "us-east-1", service: "service", addsContentSHA256Header: false)
        let signed = try signer.sign(method: "GET", url: "https://example.amazonaws.com/", body: [], date: Self.exampleDate)
        #expect(signed.headers["x-amz-security-token"] == "session-token-value")
        #expect(signed.signedHeaders == "host;x-amz-date;x-amz-security-token")
        #expect(signed.canonicalRequest.contains("\nx-amz-security-token:session-token-value\n"))
        #expect(signed.authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="))
        // Derived, not published: cross-checked with botocore's SigV4Auth for the same request.
        #expect(signed.signature == "9393e1a9f67effc990615bde84ee519ba681d3e98da945a6c8e1a3e00c240909")
    }

    @Test func contentSHA256HeaderIsAddedByDefault() throws {
        let signer = AWSSigV4(credentials: Self.exampleCredentials, region: "us-east-1", service: "service")
        let body = Array("Param1=value1".utf8)
        let signed = try signer.sign(method: "POST", url: "https://example.amazonaws.com/", body: body, date: Self.exampleDate)
        let hash = "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        #expect(signed.headers["x-amz-content-sha256"] == hash)
        #expect(signed.signedHeaders == "host;x-amz-content-sha256;x-amz-date")
        #expect(signed.canonicalRequest.hasSuffix("\nx-amz-content-sha256:\(hash)\nx-amz-date:20150830T123600Z\n\nhost;x-amz-content-sha256;x-amz-date\n\(hash)"))
        let empty = try signer.sign(method: "GET", url: "https://example.amazonaws.com/", body: [], date: Self.exampleDate)
        #expect(empty.headers["x-amz-content-sha256"] == AWSSigV4.emptyPayloadHash)
        let prehashed = try signer.sign(method: "POST", url: "https://example.amazonaws.com/", payloadHash: hash, date: Self.exampleDate)
        #expect(prehashed.signature == signed.signature)
    }

    @Test func secretsNeverAppearInDescriptions() throws {
        let credentials = AWSCredentials(
            accessKeyID: "AKIDEXAMPLE",
            secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            sessionToken: Secret("TOKEN-abcdef")
        )
        let signer = AWSSigV4(credentials: credentials, region: "us-east-1", service: "bedrock")
        let signed = try signer.sign(method: "GET", url: "https://example.amazonaws.com/", body: [], date: Self.exampleDate)
        var dumped = ""
        dump(credentials, to: &dumped)
        dump(signer, to: &dumped)
        dump(signed, to: &dumped)
        let texts = [
            "\(credentials)", String(reflecting: credentials), "\(signer)", String(reflecting: signer), "\(signed)",
            String(reflecting: signed), dumped,
        ]
        for text in texts {
            #expect(!text.contains("wJalrXUtnFEMI"))
            #expect(!text.contains("TOKEN-abcdef"))
            #expect(!text.contains("AKIDEXAMPLE"))
        }
        #expect("\(credentials)".contains("AKID…"))
    }

    // MARK: - Bedrock

    static let bedrockModel = "anthropic.claude-3-5-sonnet-20240620-v1:0"

    @Test func bedrockURLEncodesTheModelIDOnce() {
        #expect(AWSSigV4.bedrockRuntimeURL(region: "us-east-1", modelID: Self.bedrockModel, operation: .converse)
            == "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse")
        #expect(AWSSigV4.bedrockRuntimeURL(region: "eu-west-3", modelID: Self.bedrockModel, operation: .converseStream)
            == "https://bedrock-runtime.eu-west-3.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream")
        #expect(AWSSigV4.bedrockRuntimeURL(region: "cn-north-1", modelID: "m", operation: .converse)
            == "https://bedrock-runtime.cn-north-1.amazonaws.com.cn/model/m/converse")
        #expect(AWSSigV4.bedrockRuntimeURL(region: "us-east-1", modelID: "m", operation: .converse, endpoint: "http://127.0.0.1:9000/")
            == "http://127.0.0.1:9000/model/m/converse")
        let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0"
        #expect(AWSSigV4.bedrockRuntimePath(modelID: arn, operation: .converse)
            == "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse")
    }

    /// A ConverseStream request. The expected canonical request follows from the rules above;
    /// the signature was cross-checked with botocore's `SigV4Auth` (derived, not published).
    @Test func bedrockConverseStreamRequest() throws {
        let signer = AWSSigV4(credentials: Self.exampleCredentials, region: "us-east-1", service: "bedrock")
        let url = AWSSigV4.bedrockRuntimeURL(region: "us-east-1", modelID: Self.bedrockModel, operation: .converseStream)
        let body = Array(#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}"#.utf8)
        let bodyHash = Digest.hex(Digest.sha256(body))
        let signed = try signer.sign(
            method: "POST",
            url: url,
            headers: ["Content-Type": "application/json", "Accept": "application/vnd.amazon.eventstream"],
            body: body,
            date: Self.exampleDate
        )
        #expect(signed.canonicalRequest == """
            POST
            /model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse-stream

            accept:application/vnd.amazon.eventstream
            content-type:application/json
            host:bedrock-runtime.us-east-1.amazonaws.com
            x-amz-content-sha256:\(bodyHash)
            x-amz-date:20150830T123600Z

            accept;content-type;host;x-amz-content-sha256;x-amz-date
            \(bodyHash)
            """)
        #expect(signed.stringToSign.hasPrefix("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/bedrock/aws4_request\n"))
        #expect(signed.signature == "a1d66b92f4c27334e4cf8371a1721e1a2a2ed76444a150a37caf04cf8ce9fc31")
    }

    @Test func bedrockARNPathIsDoubleEncodedInTheCanonicalURI() throws {
        let signer = AWSSigV4(credentials: Self.exampleCredentials, region: "us-west-2", service: "bedrock")
        let arn = "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0"
        let url = AWSSigV4.bedrockRuntimeURL(region: "us-west-2", modelID: arn, operation: .converse)
        let signed = try signer.sign(method: "POST", url: url, headers: ["Content-Type": "application/json"], body: Array("{}".utf8), date: Self.exampleDate)
        let canonicalURI = signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[1]
        #expect(canonicalURI == "/model/arn%253Aaws%253Abedrock%253Aus-west-2%253A123456789012%253Ainference-profile%252Fus.meta.llama3-2-1b-instruct-v1%253A0/converse")
        #expect(signed.signature == "382c32a7d0f1cabf3a95c78528c5778f63b902a32bd6775138469370ca058cd9")
    }

    @Test func signsAnHTTPClientRequestInPlace() throws {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), sessionToken: Secret("tok"))
        let signer = AWSSigV4(credentials: credentials, region: "us-east-1", service: "bedrock")
        var request = HTTPClientRequest(
            method: "POST",
            url: AWSSigV4.bedrockRuntimeURL(region: "us-east-1", modelID: Self.bedrockModel, operation: .converse),
            headers: ["Content-Type": "application/json", "X-Amz-Date": "stale"],
            body: Array("{}".utf8)
        )
        try signer.sign(&request, date: Self.exampleDate)
        let expected = try signer.sign(method: "POST", url: request.url, headers: ["Content-Type": "application/json"], body: Array("{}".utf8), date: Self.exampleDate)
        #expect(request.headers.values("x-amz-date") == ["20150830T123600Z"])
        #expect(request.headers["x-amz-security-token"] == "tok")
        #expect(request.headers["x-amz-content-sha256"] == Digest.hex(Digest.sha256(Array("{}".utf8))))
        #expect(request.headers["authorization"] == expected.authorization)
        #expect(request.headers["content-type"] == "application/json")
    }
}
