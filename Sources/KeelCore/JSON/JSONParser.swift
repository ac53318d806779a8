/// A strict RFC 8259 parser from UTF-8 bytes to `JSONValue`.
///
/// Accepts exactly the JSON grammar: any value at the top level, surrounded by optional
/// whitespace (space, tab, line feed, carriage return). It rejects trailing commas,
/// leading zeros (`01`), `.1`, `1.`, `NaN`/`Infinity`, comments, single quotes,
/// unescaped control characters (U+0000…U+001F) in strings, invalid UTF-8 anywhere in a
/// string, lone UTF-16 surrogates in `\u` escapes (`\uD800` without a following low
/// surrogate is an `invalidEscape` error rather than being replaced by U+FFFD), a
/// leading byte order mark (RFC 8259 forbids senders from adding one), and anything but
/// whitespace after the value. Nesting beyond `maxDepth` fails with `tooDeep` instead of
/// exhausting the stack. Duplicate object keys are accepted: the last value wins, at the
/// position of the first.
///
/// The parser does not limit input size; callers cap request bodies before parsing.
public struct JSONParser: Sendable {
    /// The deepest nesting of arrays and objects accepted. Default: 128.
    public var maxDepth: Int

    /// Creates a parser; `maxDepth` defaults to 128 levels of arrays and objects.
    public init(maxDepth: Int = 128) {
        self.maxDepth = maxDepth
    }

    /// Parses UTF-8 JSON text.
    public func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }

    /// Parses UTF-8 JSON text held in raw memory.
    public func parse(_ buffer: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
        try parse(buffer.assumingMemoryBound(to: UInt8.self))
    }

    /// Parses UTF-8 JSON text held in memory.
    public func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONError) -> JSONValue {
        guard let base = buffer.baseAddress else {
            // Only empty buffers lack a base address.
            throw JSONError.make(.unexpectedEnd, at: 0, in: buffer)
        }
        var reader = JSONReader(input: buffer, base: base, maxDepth: maxDepth)
        return try reader.parseDocument()
    }

    /// Parses JSON text.
    public func parse(_ text: String) throws(JSONError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(JSONError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }

    /// Parses UTF-8 JSON text from any byte collection; contiguous storage is read in place.
    public func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(JSONError) -> JSONValue {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONError) -> JSONValue in try parse(buffer) }
        }
        if let contiguous {
            return try contiguous.get()
        }
        return try parse(Array(bytes))
    }
}

/// The parsing state over one input buffer.
struct JSONReader: ~Copyable {
    private let input: UnsafeBufferPointer<UInt8>
    private let base: UnsafePointer<UInt8>
    private let end: Int
    private let maxDepth: Int
    private var position = 0
    /// Reused for strings that contain escapes.
    private var scratch: [UInt8] = []
    /// Elements of the arrays being parsed, innermost last.
    private var values = MoveStack<JSONValue>(capacity: 16)
    /// Members of the objects being parsed, innermost last.
    private var members = MoveStack<JSONObject.Member>(capacity: 16)

    init(input: UnsafeBufferPointer<UInt8>, base: UnsafePointer<UInt8>, maxDepth: Int) {
        self.input = input
        self.base = base
        self.end = input.count
        self.maxDepth = maxDepth
    }

    // MARK: Errors

    @inline(never)
    private func error(_ code: JSONError.Code, at offset: Int, _ detail: String? = nil) -> JSONError {
        JSONError.make(code, at: offset, in: input, detail: detail)
    }

    // MARK: Structure

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        if end >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF {
            throw error(.unexpectedCharacter, at: 0, "a byte order mark is not allowed")
        }
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if position < end {
            throw error(.trailingData, at: position)
        }
        return value
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while position < end {
            let byte = base[position]
            if byte > 0x20 { return }
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            position += 1
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        skipWhitespace()
        guard position < end else { throw error(.unexpectedEnd, at: position) }
        switch base[position] {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "{"):
            return .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["):
            return .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "t"):
            try expectLiteral(0x74_72_75_65, length: 4)  // "true"
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral(0x66_61_6C_73_65, length: 5)  // "false"
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral(0x6E_75_6C_6C, length: 4)  // "null"
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw error(.unexpectedCharacter, at: position)
        }
    }

    /// Matches the literal whose ASCII bytes are packed big-endian in `packed`.
    @inline(__always)
    private mutating func expectLiteral(_ packed: UInt64, length: Int) throws(JSONError) {
        var index = 0
        while index < length {
            let expected = UInt8(truncatingIfNeeded: packed >> UInt64(8 * (length - 1 - index)))
            guard position + index < end else { throw error(.unexpectedEnd, at: end) }
            guard base[position + index] == expected else {
                throw error(.unexpectedCharacter, at: position + index)
            }
            index += 1
        }
        position += length
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> [JSONValue] {
        if depth > maxDepth {
            throw error(.tooDeep, at: position, "more than \(maxDepth) levels of nesting")
        }
        position += 1  // [
        skipWhitespace()
        guard position < end else { throw error(.unexpectedEnd, at: position) }
        if base[position] == UInt8(ascii: "]") {
            position += 1
            return []
        }
        // Elements collect on a shared stack and move into an exactly sized array at the end.
        let first = values.count
        while true {
            values.push(try parseValue(depth: depth))
            skipWhitespace()
            guard position < end else { throw error(.unexpectedEnd, at: position) }
            let byte = base[position]
            position += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "]") { return values.popArray(from: first) }
            throw error(.unexpectedCharacter, at: position - 1, "expected ',' or ']'")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONObject {
        if depth > maxDepth {
            throw error(.tooDeep, at: position, "more than \(maxDepth) levels of nesting")
        }
        position += 1  // {
        skipWhitespace()
        guard position < end else { throw error(.unexpectedEnd, at: position) }
        if base[position] == UInt8(ascii: "}") {
            position += 1
            return JSONObject()
        }
        // Members collect on a shared stack; duplicates are found by a linear scan of this
        // object's members, or through `positions` once the object grows large.
        let first = members.count
        var positions: [String: Int]?
        while true {
            skipWhitespace()
            guard position < end else { throw error(.unexpectedEnd, at: position) }
            guard base[position] == UInt8(ascii: "\"") else {
                throw error(.unexpectedCharacter, at: position, "expected a string key")
            }
            let key = try parseString()
            skipWhitespace()
            guard position < end else { throw error(.unexpectedEnd, at: position) }
            guard base[position] == UInt8(ascii: ":") else {
                throw error(.unexpectedCharacter, at: position, "expected ':'")
            }
            position += 1
            let value = try parseValue(depth: depth)

            var duplicate: Int?
            if positions != nil {
                duplicate = positions![key]
            } else {
                var index = first
                while index < members.count {
                    if members.pointer(at: index).pointee.key == key {
                        duplicate = index
                        break
                    }
                    index += 1
                }
            }
            if let duplicate {
                members.pointer(at: duplicate).pointee.value = value  // last value wins, first position kept
            } else {
                members.push(JSONObject.Member(key: key, value: value))
                if positions != nil {
                    positions![key] = members.count - 1
                } else if members.count - first > JSONObject.indexThreshold {
                    var index = [String: Int](minimumCapacity: 2 * (members.count - first))
                    for position in first..<members.count {
                        index[members.pointer(at: position).pointee.key] = position
                    }
                    positions = index
                }
            }

            skipWhitespace()
            guard position < end else { throw error(.unexpectedEnd, at: position) }
            let byte = base[position]
            position += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "}") { return JSONObject(uniqueMembers: members.popArray(from: first)) }
            throw error(.unexpectedCharacter, at: position - 1, "expected ',' or '}'")
        }
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(JSONError) -> JSONNumber {
        let start = position
        var index = position
        @inline(__always) func isDigit(_ i: Int) -> Bool {
            i < end && base[i] &- UInt8(ascii: "0") < 10
        }
        if base[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { throw numberError(at: index, "expected a digit") }
        if base[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { throw error(.invalidNumber, at: start, "leading zeros are not allowed") }
        } else {
            repeat { index += 1 } while isDigit(index)
        }
        if index < end && base[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { throw numberError(at: index, "expected a digit after '.'") }
            repeat { index += 1 } while isDigit(index)
        }
        if index < end && base[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < end && (base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-")) {
                index += 1
            }
            guard isDigit(index) else { throw numberError(at: index, "expected a digit in the exponent") }
            repeat { index += 1 } while isDigit(index)
        }
        position = index
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: index - start), as: UTF8.self)
        return JSONNumber(uncheckedText: text)
    }

    /// `unexpectedEnd` when the input stops where a digit must follow (a truncated body),
    /// `invalidNumber` when something else is there.
    private func numberError(at index: Int, _ detail: String) -> JSONError {
        index >= end ? error(.unexpectedEnd, at: end) : error(.invalidNumber, at: index, detail)
    }

    // MARK: Strings

    /// Index of the first `"`, `\` or control byte at or after `index` (or `end`), and
    /// whether any byte before it is non-ASCII.
    @inline(__always)
    private func scanString(from index: Int) -> (stop: Int, nonASCII: Bool) {
        var index = index
        var seen: UInt64 = 0
        while index + 8 <= end {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            if JSONString.needsEscape(word) { break }
            seen |= word
            index += 8
        }
        var seenByte: UInt8 = seen & 0x8080_8080_8080_8080 != 0 ? 0x80 : 0
        while index < end {
            let byte = base[index]
            if JSONString.needsEscape(byte) { break }
            seenByte |= byte
            index += 1
        }
        return (index, seenByte & 0x80 != 0)
    }

    /// Makes a string from bytes known to contain no quote, backslash or control byte.
    @inline(__always)
    private func makeString(
        _ bytes: UnsafeBufferPointer<UInt8>, nonASCII: Bool, rawStart: Int, rawStop: Int
    ) throws(JSONError) -> String {
        guard nonASCII else {
            return String(decoding: bytes, as: UTF8.self)
        }
        // The standard library's validating initialiser costs a metadata lookup per call
        // (it is not specialised), so short strings are validated here and then copied;
        // long ones are validated and copied by the standard library in one pass.
        if bytes.count >= 256 {
            guard let string = String(validating: bytes, as: UTF8.self) else {
                throw invalidUTF8Error(from: rawStart, to: rawStop)
            }
            return string
        }
        guard JSONReader.isValidUTF8(bytes) else {
            throw invalidUTF8Error(from: rawStart, to: rawStop)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses a string starting at the opening quote.
    private mutating func parseString() throws(JSONError) -> String {
        let contentStart = position + 1
        let (stop, nonASCII) = scanString(from: contentStart)
        guard stop < end else { throw error(.unexpectedEnd, at: end, "unterminated string") }
        switch base[stop] {
        case UInt8(ascii: "\""):
            let bytes = UnsafeBufferPointer(start: base + contentStart, count: stop - contentStart)
            let string = try makeString(bytes, nonASCII: nonASCII, rawStart: contentStart, rawStop: stop)
            position = stop + 1
            return string
        case UInt8(ascii: "\\"):
            return try parseEscapedString(contentStart: contentStart, firstStop: stop, nonASCII: nonASCII)
        default:
            throw error(.unexpectedCharacter, at: stop, "control characters must be escaped in strings")
        }
    }

    /// The slow path for strings with escapes: copies runs and decoded escapes into `scratch`.
    private mutating func parseEscapedString(
        contentStart: Int, firstStop: Int, nonASCII: Bool
    ) throws(JSONError) -> String {
        scratch.removeAll(keepingCapacity: true)
        var runStart = contentStart
        var stop = firstStop
        var nonASCII = nonASCII
        while true {
            guard stop < end else { throw error(.unexpectedEnd, at: end, "unterminated string") }
            let byte = base[stop]
            if stop > runStart {
                scratch.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: stop - runStart))
            }
            if byte == UInt8(ascii: "\"") {
                // Escapes only add complete UTF-8 sequences, so validating the decoded bytes
                // finds exactly the ill-formed raw ones.
                let string = try scratch.withUnsafeBufferPointer { (bytes) throws(JSONError) -> String in
                    try makeString(bytes, nonASCII: nonASCII, rawStart: contentStart, rawStop: stop)
                }
                position = stop + 1
                return string
            }
            guard byte == UInt8(ascii: "\\") else {
                throw error(.unexpectedCharacter, at: stop, "control characters must be escaped in strings")
            }
            runStart = try decodeEscape(at: stop)
            let next = scanString(from: runStart)
            stop = next.stop
            nonASCII = nonASCII || next.nonASCII
        }
    }

    /// Decodes the escape whose backslash is at `index` into `scratch`; returns the index after it.
    private mutating func decodeEscape(at index: Int) throws(JSONError) -> Int {
        guard index + 1 < end else { throw error(.unexpectedEnd, at: end, "unterminated string") }
        let simple: UInt8
        switch base[index + 1] {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            return try decodeUnicodeEscape(at: index)
        default:
            throw error(.invalidEscape, at: index)
        }
        scratch.append(simple)
        return index + 2
    }

    /// Reads the four hex digits after `\u` at `index`.
    private func hexQuad(at index: Int) throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard index + offset < end else { throw error(.unexpectedEnd, at: end, "unterminated string") }
            let byte = base[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error(.invalidEscape, at: index - 2, "expected four hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private mutating func decodeUnicodeEscape(at index: Int) throws(JSONError) -> Int {
        var scalar = try hexQuad(at: index + 2)
        var next = index + 6
        if scalar & 0xF800 == 0xD800 {
            guard scalar < 0xDC00 else {
                throw error(.invalidEscape, at: index, "lone low surrogate")
            }
            guard next + 1 < end, base[next] == UInt8(ascii: "\\"), base[next + 1] == UInt8(ascii: "u") else {
                if next >= end || (base[next] == UInt8(ascii: "\\") && next + 1 >= end) {
                    throw error(.unexpectedEnd, at: end, "unterminated string")
                }
                throw error(.invalidEscape, at: index, "lone high surrogate")
            }
            let low = try hexQuad(at: next + 2)
            guard low & 0xFC00 == 0xDC00 else {
                throw error(.invalidEscape, at: index, "lone high surrogate")
            }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            next += 6
        }
        appendUTF8(scalar)
        return next
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// The error for ill-formed UTF-8 between `start` and `stop`, pointing at the first bad byte.
    @inline(never)
    private func invalidUTF8Error(from start: Int, to stop: Int) -> JSONError {
        let offset = JSONReader.firstInvalidUTF8(in: UnsafeBufferPointer(start: base + start, count: stop - start))
        return error(.invalidUTF8, at: start + (offset ?? 0))
    }

    /// `true` if `bytes` are well-formed UTF-8.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        firstInvalidUTF8(in: bytes) == nil
    }

    /// Offset of the first byte that does not begin a well-formed UTF-8 sequence (Unicode table 3-7).
    static func firstInvalidUTF8(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var index = 0
        let count = bytes.count
        while index < count {
            // Skip ASCII eight bytes at a time.
            while index + 8 <= count,
                  UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                index += 8
            }
            guard index < count else { break }
            let lead = base[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return index
            }
            guard index + length <= count else { return index }
            let second = base[index + 1]
            guard second >= low && second <= high else { return index }
            if length > 2 {
                guard base[index + 2] & 0xC0 == 0x80 else { return index }
                if length > 3 {
                    guard base[index + 3] & 0xC0 == 0x80 else { return index }
                }
            }
            index += length
        }
        return nil
    }
}

/// A growable stack that hands its top elements out as an exactly sized array by moving
/// them (no copies, no reference-count traffic, one allocation per array).
struct MoveStack<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    /// The element at `index` (which must be below `count`), accessed in place.
    func pointer(at index: Int) -> UnsafeMutablePointer<Element> {
        base + index
    }

    mutating func push(_ element: consuming Element) {
        if count == capacity {
            let grown = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            grown.moveInitialize(from: base, count: count)
            base.deallocate()
            base = grown
            capacity *= 2
        }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Moves the elements from `start` to the top into a new array and pops them.
    mutating func popArray(from start: Int) -> [Element] {
        let moved = count - start
        guard moved > 0 else { return [] }
        // `reserveCapacity` + `append` specialise fully here; `init(unsafeUninitializedCapacity:)`
        // goes through an unspecialised allocation path that looks up type metadata per call.
        var result: [Element] = []
        result.reserveCapacity(moved)
        for index in start..<count {
            result.append((base + index).move())
        }
        count = start
        return result
    }

    /// Destroys any remaining elements (left behind when parsing fails) and frees the storage.
    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
