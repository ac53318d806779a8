import Foundation
import KeelCore
import KeelTestSupport

/// Runs blocking socket work off the cooperative pool.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// A tiny client for the admin API of a running test application.
struct AdminClient: Sendable {
    struct Reply: Sendable {
        var status: Int
        var json: JSONValue
        var text: String
        var headers: [(name: String, value: String)]
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
        subscript(key: String) -> JSONValue? { json[key] }
        var data: [JSONValue] { json["data"]?.arrayValue ?? [] }
        var errorCode: String? { json["error"]?["code"]?.stringValue }
    }

    let port: Int

    func call(_ method: String, _ path: String, key: String?, body: String? = nil) async throws -> Reply {
        let port = self.port
        return try await onThread {
            let connection = try RawHTTPConnection(port: port)
            defer { connection.close() }
            var headers: [(String, String)] = []
            if let key { headers.append(("authorization", "Bearer \(key)")) }
            if body != nil { headers.append(("content-type", "application/json")) }
            let response = try connection.request(method, path, headers: headers, body: Array((body ?? "").utf8))
            let json = (try? JSONValue(parsing: response.body)) ?? .null
            return Reply(status: response.status, json: json, text: response.bodyText, headers: response.headers)
        }
    }

    /// Creates a team as `key` and returns its id.
    func team(_ name: String, key: String, extra: String = "") async throws -> String {
        let reply = try await call("POST", "/admin/teams", key: key, body: #"{"name":"\#(name)"\#(extra)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw Failure("creating team \(name): \(reply.status) \(reply.text)") }
        return id
    }

    /// Creates a key as `key` and returns (id, secret).
    func key(_ body: String, key: String) async throws -> (id: String, secret: String) {
        let reply = try await call("POST", "/admin/keys", key: key, body: body)
        guard reply.status == 201, let id = reply["id"]?.stringValue, let secret = reply["key"]?.stringValue else {
            throw Failure("creating key \(body): \(reply.status) \(reply.text)")
        }
        return (id, secret)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
