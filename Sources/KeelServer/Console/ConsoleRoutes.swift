import KeelHTTP

/// The web console: `GET /ui/` (the page) and `GET /ui/{file}` (its script and style sheet).
///
/// The files need no credential — they hold no data. The console's own API calls carry the key
/// the user pastes at login (kept in the browser's `sessionStorage`, never in a URL), and the
/// server scopes every answer by the key's role. Every file is served with a strict
/// content-security-policy (no inline script or style, no other origin), `nosniff`, no framing,
/// and an `etag` so browsers revalidate cheaply (`cache-control: no-cache`).
struct ConsoleRoutes: Sendable {
    /// The content-security-policy of every console file.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    let assets: [String: ConsoleAsset]

    init(assets: [ConsoleAsset] = ConsoleAssets.all) {
        var byName: [String: ConsoleAsset] = [:]
        for asset in assets { byName[asset.name] = asset }
        self.assets = byName
    }

    func register(in router: inout Router) {
        // The router matches `/ui` and `/ui/` with the same literal route.
        router.get("/ui") { [self] request, _ in
            guard request.path.hasSuffix("/") else {
                return Response(status: 308, headers: ["location": "/ui/", "cache-control": "no-cache"])
            }
            return try serve("index.html", request)
        }
        router.get("/ui/*") { [self] request, context in
            try serve(context.parameters["*"] ?? "", request)
        }
    }

    func serve(_ name: String, _ request: Request) throws -> Response {
        guard let asset = assets[name] else {
            throw HTTPError.notFound("The console has no file named \"\(name)\".", code: "not_found")
        }
        var headers: HTTPHeaders = [
            "cache-control": "no-cache",
            "etag": asset.etag,
            "content-security-policy": Self.contentSecurityPolicy,
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
            "referrer-policy": "no-referrer",
        ]
        if let tags = request.headers["if-none-match"], Self.matches(tags, asset.etag) {
            return Response(status: 304, headers: headers)
        }
        headers.add(name: "content-type", value: asset.contentType)
        return Response(status: 200, headers: headers, body: .bytes(asset.bytes))
    }

    /// Whether an `if-none-match` list names `etag` (or is `*`); weak tags compare by their value.
    static func matches(_ list: String, _ etag: String) -> Bool {
        list.split(separator: ",").contains { part in
            var tag = part.trimmingCharacters(in: " \t")
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}
