/// Why a JSON text was rejected, and where.
///
/// `message` is written for API clients: it names the problem and the position
/// (`Unexpected character 'x' at line 1, column 5`) and never quotes more than a
/// single character of the input.
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem the parser met.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short stable identifier such as `unexpected_end`.
        public let rawValue: String

        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The input ended inside a value (or was empty).
        public static let unexpectedEnd = Code("unexpected_end")
        /// A byte that cannot start or continue the value at this position, including
        /// unescaped control characters inside strings and a leading byte order mark.
        public static let unexpectedCharacter = Code("unexpected_character")
        /// A malformed number: leading zeros, or something other than a digit after `-`, `.` or `e`
        /// (a number cut short by the end of the input is `unexpectedEnd`).
        public static let invalidNumber = Code("invalid_number")
        /// An unknown escape (`\x`), a malformed `\uXXXX`, or a lone UTF-16 surrogate.
        public static let invalidEscape = Code("invalid_escape")
        /// Bytes inside a string that are not well-formed UTF-8.
        public static let invalidUTF8 = Code("invalid_utf8")
        /// Arrays and objects nested deeper than the parser's limit.
        public static let tooDeep = Code("too_deep")
        /// Something other than whitespace follows the top-level value.
        public static let trailingData = Code("trailing_data")

        /// The identifier, e.g. `unexpected_end`.
        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// Byte offset into the input where the problem was detected (0-based).
    public let offset: Int
    /// 1-based line number of `offset` (lines end at `\n`).
    public let line: Int
    /// 1-based column of `offset`, counted in Unicode scalars from the start of the line.
    public let column: Int
    /// A readable explanation including the position, safe to return to an API client.
    public let message: String

    /// Creates an error with an explicit position and message.
    public init(code: Code, offset: Int, line: Int, column: Int, message: String) {
        self.code = code
        self.offset = offset
        self.line = line
        self.column = column
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

extension JSONError {
    /// Builds an error for `input`, computing line and column from `offset`.
    ///
    /// Only runs on the failure path, so it may scan the input from the start.
    static func make(
        _ code: Code,
        at offset: Int,
        in input: UnsafeBufferPointer<UInt8>,
        detail: String? = nil
    ) -> JSONError {
        let clamped = max(0, min(offset, input.count))
        var line = 1
        var column = 1
        var index = 0
        while index < clamped {
            let byte = input[index]
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                // Count lead bytes only, so a multi-byte scalar is one column.
                column += 1
            }
            index += 1
        }
        let position = "at line \(line), column \(column)"
        let text: String
        switch code {
        case .unexpectedEnd:
            text = "Unexpected end of input \(position)"
        case .unexpectedCharacter:
            let what = clamped < input.count ? describe(byte: input[clamped]) : "end of input"
            text = "Unexpected \(what) \(position)"
        case .invalidNumber:
            text = "Invalid number \(position)"
        case .invalidEscape:
            text = "Invalid escape sequence \(position)"
        case .invalidUTF8:
            text = "Invalid UTF-8 in string \(position)"
        case .tooDeep:
            text = "Nesting too deep \(position)"
        case .trailingData:
            let what = clamped < input.count ? " (\(describe(byte: input[clamped])))" : ""
            text = "Unexpected data after the JSON value\(what) \(position)"
        default:
            text = "Invalid JSON \(position)"
        }
        let message = detail.map { "\(text): \($0)" } ?? text
        return JSONError(code: code, offset: clamped, line: line, column: column, message: message)
    }

    /// `character 'x'` for printable ASCII, `byte 0x01` otherwise — never more than one byte of input.
    static func describe(byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F {
            return "character '\(Character(Unicode.Scalar(byte)))'"
        }
        switch byte {
        case 0x20: return "space"
        case 0x09: return "tab"
        case 0x0A: return "line feed"
        case 0x0D: return "carriage return"
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            return "byte 0x" + (hex.count < 2 ? "0" + hex : hex)
        }
    }
}
