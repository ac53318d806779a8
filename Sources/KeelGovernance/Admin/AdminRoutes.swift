import Foundation
import KeelCore
import KeelHTTP
import KeelStore

/// The control plane under `/admin` (JSON): teams, keys, spend, the audit log, and the OpenAPI document
/// at `/admin/openapi.json`. Every call is authorised by the caller's role (see ``Role``); a team's
/// resources are invisible to other teams (404, not 403, so ids do not leak). Every mutation and every
/// refusal is appended to the audit log.
public struct AdminRoutes: Sendable {
    let governance: Governance

    /// Creates a value with the given fields.
    public init(governance: Governance) {
        self.governance = governance
    }

    /// Adds the `/admin` routes to `router`.
    public func register(in router: inout Router) {
        router.get("/admin/openapi.json") { _, _ in Response.json(AdminOpenAPI.document) }
        router.get("/admin/whoami") { _, context in
            let caller = try Self.caller(context)
            return Self.json([
                "actor": .string(caller.actor), "role": .string(caller.role.rawValue),
                "team": caller.teamID.map(JSONValue.string) ?? .null, "user": caller.userID.map(JSONValue.string) ?? .null,
            ])
        }
        registerTeams(in: &router)
        registerKeys(in: &router)
        registerReports(in: &router)
    }

    // MARK: Shared helpers

    static func caller(_ context: RequestContext) throws(GovernanceError) -> Caller {
        guard let caller = context.attributes[CallerKey.self] else {
            throw GovernanceError(.invalidAPIKey, "Missing API key. Send it as 'Authorization: Bearer KEY' or 'x-api-key: KEY'.")
        }
        return caller
    }

    /// Runs an admin action; a refusal or failure is appended to the audit log before it is answered.
    func guarded(_ action: String, target: String, _ context: RequestContext, _ body: (Caller) async throws -> Response) async throws -> Response {
        let caller = try Self.caller(context)
        do {
            return try await body(caller)
        } catch let error as GovernanceError {
            let outcome = [401, 403, 404].contains(error.status) ? "denied" : "failed"
            governance.audit(caller, action: action, target: target, outcome: outcome, detail: [
                "request_id": .string(context.requestID), "code": .string(error.code.rawValue), "message": .string(error.message),
            ])
            throw error
        }
    }

    static func json(_ object: JSONObject, status: Int = 200) -> Response {
        Response.json(bytes: JSONValue.object(object).serialized(), status: status)
    }

    static func forbidden(_ what: String) -> GovernanceError {
        GovernanceError(.permissionDenied, "Your role is not allowed to \(what).")
    }

    static func body(_ request: Request) throws(GovernanceError) -> JSONObject {
        guard !request.body.isEmpty else { return [:] }
        guard let value = try? JSONValue(parsing: request.body), let object = value.objectValue else {
            throw GovernanceError(.invalidRequest, "The request body must be a JSON object.")
        }
        return object
    }

    static func storageFailure(_ error: any Error) -> GovernanceError {
        if let store = error as? StoreError, store.message.contains("UNIQUE") {
            return GovernanceError(.conflict, "A team with that name or id already exists.")
        }
        return GovernanceError(.storageFailed, "The change could not be saved.")
    }

    /// Milliseconds since the epoch for `2025-01-31`, `2025-01-31T12:00:00Z` or Unix seconds.
    static func time(_ text: String?, name: String) throws(GovernanceError) -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        if let seconds = Double(text) {
            guard let millis = millisecondsSinceEpoch(seconds) else {
                throw GovernanceError(.invalidRequest, "\(name) must be between 1970 and 9999.", param: name)
            }
            return millis
        }
        let formatter = ISO8601DateFormatter()
        if text.count == 10 {
            formatter.formatOptions = [.withFullDate]
        } else if text.contains(".") {
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        }
        guard let date = formatter.date(from: text) else {
            throw GovernanceError(.invalidRequest, "\(name) must be a date (2025-01-31), an RFC 3339 time or Unix seconds.", param: name)
        }
        return Int64(date.timeIntervalSince1970 * 1000)
    }

    /// Unix seconds as milliseconds, or nil when not finite or outside 1970…9999 (so no
    /// conversion can overflow).
    static func millisecondsSinceEpoch(_ seconds: Double) -> Int64? {
        guard seconds.isFinite, seconds >= 0, seconds <= 253_402_300_799 else { return nil }
        return Int64(seconds * 1000)
    }

    static func number(_ value: Double?) -> JSONValue { value.map { JSONValue($0) } ?? .null }
    static func number(_ value: Int?) -> JSONValue { value.map { JSONValue($0) } ?? .null }
    static func string(_ value: String?) -> JSONValue { value.map { JSONValue.string($0) } ?? .null }
    static func strings(_ value: [String]?) -> JSONValue { value.map { JSONValue.array($0.map { JSONValue.string($0) }) } ?? .null }
    static func object(_ text: String) -> JSONValue { (try? JSONValue(parsing: text)) ?? .object(JSONObject()) }

    static func iso(_ millis: Int64?) -> JSONValue {
        guard let millis else { return .null }
        let ms = Int(millis % 1000)
        return .string(RFC3339.format(seconds: Int(millis / 1000), milliseconds: ms == 0 ? nil : ms))
    }
}

/// Reads typed fields of an admin request body and reports what is wrong with a 400 naming the field.
struct AdminFields {
    var object: JSONObject
    /// The largest rate limit accepted (requests or tokens per minute): far above any real need,
    /// and small enough that the limiter's arithmetic cannot overflow.
    static let maximumLimit = 1_000_000_000_000

    func has(_ key: String) -> Bool { object.contains(key: key) }

    func string(_ key: String, required: Bool = false) throws(GovernanceError) -> String? {
        switch object[key] {
        case nil, .null?:
            if required { throw GovernanceError(.invalidRequest, "\(key) is required.", param: key) }
            return nil
        case .string(let s)?:
            if s.isEmpty || s.count > 200 { throw GovernanceError(.invalidRequest, "\(key) must be 1 to 200 characters.", param: key) }
            return s
        default:
            throw GovernanceError(.invalidRequest, "\(key) must be a string.", param: key)
        }
    }

    func money(_ key: String) throws(GovernanceError) -> Double? {
        switch object[key] {
        case nil, .null?: return nil
        case .number(let n)?:
            guard let d = n.double, d >= 0, d < 1e9 else { break }
            return d
        default: break
        }
        throw GovernanceError(.invalidRequest, "\(key) must be a non-negative number of US dollars.", param: key)
    }

    func limit(_ key: String) throws(GovernanceError) -> Int? {
        switch object[key] {
        case nil, .null?: return nil
        case .number(let n)?:
            guard let i = n.int, i >= 1, i <= Self.maximumLimit else { break }
            return i
        default: break
        }
        throw GovernanceError(.invalidRequest, "\(key) must be a whole number from 1 to \(Self.maximumLimit).", param: key)
    }

    func list(_ key: String) throws(GovernanceError) -> [String]? {
        switch object[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            let strings = items.compactMap(\.stringValue)
            guard strings.count == items.count else { break }
            return strings
        default: break
        }
        throw GovernanceError(.invalidRequest, "\(key) must be a list of strings.", param: key)
    }

    func period(_ key: String) throws(GovernanceError) -> BudgetPeriod? {
        guard let text = try string(key) else { return nil }
        guard let period = BudgetPeriod(rawValue: text) else {
            throw GovernanceError(.invalidRequest, "\(key) must be daily, weekly, monthly or total.", param: key)
        }
        return period
    }

    func metadata(_ key: String) throws(GovernanceError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .object(let o)?: return JSONValue.object(o).serializedString()
        default: throw GovernanceError(.invalidRequest, "\(key) must be a JSON object.", param: key)
        }
    }

    /// Rejects keys that are not among `known`, so a typo never silently drops a limit.
    func only(_ known: [String]) throws(GovernanceError) {
        for key in object.keys where !known.contains(key) {
            throw GovernanceError(.invalidRequest, "Unknown field \(key); expected one of: \(known.joined(separator: ", ")).", param: key)
        }
    }
}
