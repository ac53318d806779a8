import KeelCore

/// A JSON Schema subset for validating model output: `type` (one name or a list), `properties`,
/// `required`, `enum`, `items`, `additionalProperties` (a boolean or a schema), `minItems`,
/// `maxItems`, `minLength`, `maxLength`, `minimum`, `maximum`. Other keywords are ignored.
public struct JSONSchema: Sendable, Hashable {
    /// The schema document.
    public let document: JSONValue

    /// Parses a schema from JSON text; the document must be an object.
    public init(parsing text: String) throws(JSONSchemaError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text)
        } catch {
            throw JSONSchemaError(message: "the schema is not valid JSON: \(error.message)")
        }
        guard value.objectValue != nil else { throw JSONSchemaError(message: "the schema must be a JSON object") }
        document = value
    }

    /// Every violation of the schema by `value`, as `path: problem` (empty when it conforms).
    public func violations(of value: JSONValue) -> [String] {
        var problems: [String] = []
        Self.check(value, against: document, path: "$", into: &problems)
        return problems
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number(let number): number.int != nil ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    private static func check(_ value: JSONValue, against schema: JSONValue, path: String, into problems: inout [String]) {
        guard let schema = schema.objectValue else { return }
        if let type = schema["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? type.stringValue.map { [$0] } ?? []
            let actual = typeName(value)
            let ok = allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))
            if !allowed.isEmpty, !ok {
                problems.append("\(path): expected \(allowed.joined(separator: " or ")), got \(actual)")
                return
            }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(where: { equal($0, value) }) {
            problems.append("\(path): \(value.serializedString()) is not one of \(JSONValue.array(options).serializedString())")
        }
        switch value {
        case .object(let object):
            let properties = schema["properties"]?.objectValue ?? JSONObject()
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !object.contains(key: name) {
                problems.append("\(path): missing required property \"\(name)\"")
            }
            for (key, member) in object {
                if let propertySchema = properties[key] {
                    check(member, against: propertySchema, path: "\(path).\(key)", into: &problems)
                } else if let additional = schema["additionalProperties"] {
                    if additional.boolValue == false {
                        problems.append("\(path): unexpected property \"\(key)\"")
                    } else if additional.objectValue != nil {
                        check(member, against: additional, path: "\(path).\(key)", into: &problems)
                    }
                }
            }
        case .array(let items):
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { check(item, against: itemSchema, path: "\(path)[\(index)]", into: &problems) }
            }
            if let minimum = schema["minItems"]?.intValue, items.count < minimum { problems.append("\(path): fewer than \(minimum) items") }
            if let maximum = schema["maxItems"]?.intValue, items.count > maximum { problems.append("\(path): more than \(maximum) items") }
        case .string(let string):
            if let minimum = schema["minLength"]?.intValue, string.unicodeScalars.count < minimum { problems.append("\(path): shorter than \(minimum) characters") }
            if let maximum = schema["maxLength"]?.intValue, string.unicodeScalars.count > maximum { problems.append("\(path): longer than \(maximum) characters") }
        case .number(let number):
            if let minimum = schema["minimum"]?.doubleValue, let actual = number.double, actual < minimum { problems.append("\(path): less than \(minimum)") }
            if let maximum = schema["maximum"]?.doubleValue, let actual = number.double, actual > maximum { problems.append("\(path): greater than \(maximum)") }
        default:
            break
        }
    }

    /// Equality with numbers compared by value (`1` equals `1.0`).
    private static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        if case .number(let a) = lhs, case .number(let b) = rhs { return a.double == b.double }
        return lhs == rhs
    }
}

/// Why a JSON schema could not be used.
public struct JSONSchemaError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with the schema.
    public var message: String
    public var description: String { message }
}

/// Validates model output as JSON against a ``JSONSchema``. Output wrapped in a Markdown code fence
/// (```` ```json … ``` ````) is unwrapped first. Reports `INVALID_JSON` or `SCHEMA_VIOLATION` over the
/// whole text; it needs the complete output, so in a stream it runs at the end.
public struct JSONSchemaDetector: Detector {
    public let name = "json_schema"
    /// The schema output must conform to.
    public let schema: JSONSchema

    /// Creates the detector for `schema`.
    public init(schema: JSONSchema) {
        self.schema = schema
    }

    /// The violations of `text`, or the JSON parse error, as messages (empty when it conforms).
    public func problems(in text: String) -> [String] {
        do {
            return schema.violations(of: try JSONValue(parsing: Self.unfenced(text)))
        } catch {
            return ["not valid JSON: \(error.message)"]
        }
    }

    public func scan(_ text: ScanText) -> [Finding] {
        let whole = 0..<text.bytes.count
        do {
            let value = try JSONValue(parsing: Self.unfenced(text.string))
            return schema.violations(of: value).isEmpty ? [] : [text.finding(detector: name, type: "SCHEMA_VIOLATION", range: whole, score: 1.0)]
        } catch {
            return [text.finding(detector: name, type: "INVALID_JSON", range: whole, score: 1.0)]
        }
    }

    static func unfenced(_ text: String) -> String {
        var trimmed = Substring(text).drop { $0.isWhitespace }
        while trimmed.last?.isWhitespace == true { trimmed = trimmed.dropLast() }
        guard trimmed.hasPrefix("```"), trimmed.hasSuffix("```"), trimmed.count >= 6 else { return String(trimmed) }
        var body = trimmed.dropFirst(3).dropLast(3)
        if let newline = body.firstIndex(of: "\n") { body = body[body.index(after: newline)...] }
        return String(body)
    }
}
