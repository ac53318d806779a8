import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
@testable import KeelServer
import KeelTestSupport
import Testing

/// The web console's static files and `GET /admin/routes`, through the real composition root.
@Suite("Console", .serialized)
struct ConsoleTests {
    static let key = "sk-keel-console-test"

    static func get(_ port: Int, _ target: String, headers: [(String, String)] = []) async throws -> RawHTTPConnection.Response {
        try await onThread {
            let c = try RawHTTPConnection(port: port)
            c.setReadTimeout(seconds: 10)
            return try c.request("GET", target, headers: headers)
        }
    }

    static func configure(_ config: inout KeelConfig) {
        config.server.masterKey = Secret(key)
        config.providers = [ProviderConfig(name: "oai", kind: .openai, baseURL: "http://127.0.0.1:9/v1")]
        config.models = [ModelConfig(name: "gpt", routes: [RouteConfig(provider: "oai", model: "gpt-4o-mini"), RouteConfig(provider: "oai", model: "gpt-4.1", weight: 0)])]
    }

    @Test("each file is served with its content type, a strict policy and no credential")
    func servesFiles() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            for (target, type, name) in [("/ui/", "text/html; charset=utf-8", "index.html"), ("/ui/app.js", "text/javascript; charset=utf-8", "app.js"), ("/ui/app.css", "text/css; charset=utf-8", "app.css")] {
                let r = try await Self.get(app.port, target)
                #expect(r.status == 200, "\(target)")
                #expect(r.header("content-type") == type)
                #expect(r.header("cache-control") == "no-cache")
                #expect(r.header("x-content-type-options") == "nosniff")
                #expect(r.header("x-frame-options") == "DENY")
                let policy = try #require(r.header("content-security-policy"))
                #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
                #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
                let asset = try #require(ConsoleAssets.all.first { $0.name == name })
                #expect(r.body == asset.bytes)
                #expect(r.header("etag") == asset.etag)
            }
        }
    }

    @Test("the page loads its script and style sheet from files, never inline")
    func noInlineCode() throws {
        let page = try #require(ConsoleAssets.all.first { $0.name == "index.html" })
        let html = String(decoding: page.bytes, as: UTF8.self)
        #expect(html.contains(#"<script src="app.js" defer></script>"#))
        #expect(html.contains(#"<link rel="stylesheet" href="app.css">"#))
        #expect(!html.contains("<style") && !html.contains("style=") && !html.contains(" on"))
        #expect(html.components(separatedBy: "<script").count == 2)
    }

    @Test("unknown files are 404, /ui redirects to /ui/, a matching etag is 304")
    func notFoundRedirectAndRevalidation() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            for target in ["/ui/nothing.js", "/ui/app.js/x", "/ui/..%2Fkeel.yaml", "/ui/index.htm"] {
                let r = try await Self.get(app.port, target)
                #expect(r.status == 404, "\(target)")
                #expect(r.header("content-type")?.hasPrefix("application/json") == true)
            }
            let redirect = try await Self.get(app.port, "/ui")
            #expect(redirect.status == 308)
            #expect(redirect.header("location") == "/ui/")
            let first = try await Self.get(app.port, "/ui/app.js")
            let etag = try #require(first.header("etag"))
            let again = try await Self.get(app.port, "/ui/app.js", headers: [("if-none-match", etag)])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)
            let weak = try await Self.get(app.port, "/ui/app.js", headers: [("if-none-match", "\"other\", W/\(etag)")])
            #expect(weak.status == 304)
            let stale = try await Self.get(app.port, "/ui/app.js", headers: [("if-none-match", "\"0000\"")])
            #expect(stale.status == 200)
        }
    }

    @Test("the compiled-in files match console/ (rerun scripts/generate-console-assets)")
    func assetsAreCurrent() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = root.appendingPathComponent("console")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".html") || $0.hasSuffix(".css") || $0.hasSuffix(".js") }.sorted()
        #expect(names == ConsoleAssets.all.map(\.name).sorted())
        for asset in ConsoleAssets.all {
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(asset.name)))
            #expect(bytes == asset.bytes, "\(asset.name) differs from console/\(asset.name): run scripts/generate-console-assets")
            #expect(asset.etag == "\"" + Digest.hex(Digest.sha256(bytes)).prefix(16) + "\"")
        }
    }

    @Test("GET /admin/routes reports every model's routes to admins only")
    func routeHealth() async throws {
        try await withTestApplication(configure: Self.configure) { app, _ in
            let auth = [("authorization", "Bearer \(Self.key)")]
            let r = try await Self.get(app.port, "/admin/routes", headers: auth)
            #expect(r.status == 200)
            let body = try JSONValue(parsing: r.body)
            let model = try #require(body["data"]?[0])
            #expect(model["model"]?.stringValue == "gpt")
            #expect(model["strategy"]?.stringValue == "weighted")
            #expect(model["requests"]?.intValue == 0)
            #expect(model["routes"]?[0]?["provider"]?.stringValue == "oai")
            #expect(model["routes"]?[0]?["model"]?.stringValue == "gpt-4o-mini")
            #expect(model["routes"]?[0]?["breaker"]?.stringValue == "closed")
            #expect(model["routes"]?[1]?["model"]?.stringValue == "gpt-4.1")
            #expect(model["routes"]?[0]?["latency_ms"] == .null)

            #expect(try await Self.get(app.port, "/admin/routes").status == 401)
            let created = try await onThread {
                let c = try RawHTTPConnection(port: app.port)
                c.setReadTimeout(seconds: 10)
                let team = try c.request("POST", "/admin/teams", headers: auth + [("content-type", "application/json")], body: Array(#"{"name":"search"}"#.utf8))
                precondition(team.status == 201)
                return try c.request("POST", "/admin/keys", headers: auth + [("content-type", "application/json")], body: Array(#"{"team":"search","role":"viewer"}"#.utf8))
            }
            #expect(created.status == 201)
            let viewerKey = try #require(try JSONValue(parsing: created.body)["key"]?.stringValue)
            let refused = try await Self.get(app.port, "/admin/routes", headers: [("authorization", "Bearer \(viewerKey)")])
            #expect(refused.status == 403)
            #expect(try JSONValue(parsing: refused.body)["error"]?["code"]?.stringValue == "permission_denied")

            // A team admin sees only the models its team may use.
            let admins = try await onThread {
                let c = try RawHTTPConnection(port: app.port)
                c.setReadTimeout(seconds: 10)
                let team = try c.request("POST", "/admin/teams", headers: auth + [("content-type", "application/json")], body: Array(#"{"name":"narrow","models":["other"]}"#.utf8))
                precondition(team.status == 201)
                let narrow = try c.request("POST", "/admin/keys", headers: auth + [("content-type", "application/json")], body: Array(#"{"team":"narrow","role":"team_admin"}"#.utf8))
                let wide = try c.request("POST", "/admin/keys", headers: auth + [("content-type", "application/json")], body: Array(#"{"team":"search","role":"team_admin"}"#.utf8))
                return (narrow, wide)
            }
            let narrowKey = try #require(try JSONValue(parsing: admins.0.body)["key"]?.stringValue)
            let wideKey = try #require(try JSONValue(parsing: admins.1.body)["key"]?.stringValue)
            let narrow = try await Self.get(app.port, "/admin/routes", headers: [("authorization", "Bearer \(narrowKey)")])
            #expect(narrow.status == 200)
            #expect(try JSONValue(parsing: narrow.body)["data"]?.arrayValue?.isEmpty == true)
            let wide = try await Self.get(app.port, "/admin/routes", headers: [("authorization", "Bearer \(wideKey)")])
            #expect(try JSONValue(parsing: wide.body)["data"]?[0]?["model"]?.stringValue == "gpt")
        }
    }
}
