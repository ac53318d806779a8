/// An HTTP request as a handler sees it: head and the complete body.
///
/// The engine collects the body before the handler runs (bounded by the server's
/// `maxBodyBytes`), because every Keel endpoint needs the whole JSON document anyway.
public struct Request: Sendable {
    /// The method, upper case as sent (`GET`, `POST`, …).
    public var method: String
    /// The path, percent-decoded, without the query string (e.g. `/v1/models/gpt-4o`).
    public var path: String
    /// Query parameters in order, percent-decoded. A parameter without `=` has an empty value.
    public var query: [(name: String, value: String)]
    /// The request header fields.
    public var headers: HTTPHeaders
    /// The request body (empty when none was sent).
    public var body: [UInt8]

    public init(method: String, path: String, query: [(name: String, value: String)] = [], headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The first value of the query parameter `name`, or nil.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }
}
