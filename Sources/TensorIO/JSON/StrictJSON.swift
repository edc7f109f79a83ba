/// A JSON value as ``StrictJSON`` parses it: objects keep their keys in file order.
///
/// Numbers keep their text, because safetensors offsets are 64-bit integers that a `Double`
/// would round; ``integer`` reads one back exactly. Not `indirect`: arrays and objects keep
/// their elements on the heap already, and boxing every string and number cost an allocation
/// each (a safetensors header has thousands).
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// The value as a non-negative integer, if it is a number written as plain digits (no
    /// sign, fraction or exponent) that fits in `Int`.
    var integer: Int? {
        guard case .number(let text) = self, !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }

    /// What kind of value this is, for messages ("expected an array, found a string").
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A strict JSON parser for headers that come from untrusted files.
///
/// Foundation's `JSONSerialization` silently keeps one of two equal keys; a checkpoint
/// whose header names one tensor twice is ambiguous, so this parser refuses duplicate keys
/// in every object (keys compared byte for byte, after unescaping). It also bounds nesting,
/// so a header of a million `[` cannot overflow the stack, and accepts exactly RFC 8259:
/// no comments, no trailing commas, no NaN, no control characters inside strings.
struct StrictJSON {
    /// Why a text is not acceptable JSON, and where.
    struct Problem: Error, Sendable {
        /// Byte offset into the text.
        var offset: Int
        var reason: String
    }

    /// The deepest nesting of arrays and objects accepted. A safetensors header needs 3.
    static let maxDepth = 64

    /// Objects up to this many keys are checked for a repeated key by a scan, larger ones in
    /// a set.
    private static let smallObject = 8

    /// A key compared and hashed byte for byte: Swift's `==` on strings compares canonical
    /// equivalence, and two keys JSON tells apart must stay apart.
    private struct ExactKey: Hashable {
        let text: String

        static func == (a: ExactKey, b: ExactKey) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

        func hash(into hasher: inout Hasher) {
            var text = text
            text.makeContiguousUTF8()  // already so for every string the parser makes
            text.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    private let bytes: [UInt8]
    private var position = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses `bytes` as one JSON value with optional surrounding whitespace.
    static func parse(_ bytes: [UInt8]) throws(Problem) -> JSONValue {
        var parser = StrictJSON(bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else {
            throw Problem(offset: parser.position, reason: "unexpected \(parser.describeByte()) after the end of the JSON value")
        }
        return value
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0a, 0x0d: position += 1
            default: return
            }
        }
    }

    private func describeByte() -> String {
        guard position < bytes.count else { return "end of text" }
        let byte = bytes[position]
        return (0x21..<0x7f).contains(byte) ? "'\(Character(UnicodeScalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func parseValue(depth: Int) throws(Problem) -> JSONValue {
        guard position < bytes.count else { throw Problem(offset: position, reason: "unexpected end of text, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw Problem(offset: position, reason: "unexpected \(describeByte()), expected a value")
        }
    }

    private mutating func expectWord(_ word: String) throws(Problem) {
        let expected = Array(word.utf8)
        guard position + expected.count <= bytes.count, Array(bytes[position..<(position + expected.count)]) == expected else {
            throw Problem(offset: position, reason: "unexpected \(describeByte()), expected a value")
        }
        position += expected.count
    }

    private mutating func parseObject(depth: Int) throws(Problem) -> JSONValue {
        guard depth <= Self.maxDepth else { throw Problem(offset: position, reason: "nesting deeper than \(Self.maxDepth) levels") }
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        // Duplicates are looked for by a scan while the object is small (a safetensors entry
        // has three keys) and in a set once it is not (the header's hundreds of tensors).
        var seen: Set<ExactKey>?
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw Problem(offset: position, reason: "unexpected \(describeByte()), expected a key string")
            }
            let keyOffset = position
            let key = try parseString()
            let repeated: Bool
            if members.count < Self.smallObject {
                repeated = members.contains { $0.key.utf8.elementsEqual(key.utf8) }
            } else {
                if seen == nil { seen = Set(members.map { ExactKey(text: $0.key) }) }
                repeated = !seen!.insert(ExactKey(text: key)).inserted
            }
            guard !repeated else {
                throw Problem(offset: keyOffset, reason: "the key \"\(key)\" appears twice in one object")
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw Problem(offset: position, reason: "unexpected \(describeByte()), expected ':'")
            }
            position += 1
            skipWhitespace()
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            guard position < bytes.count else { throw Problem(offset: position, reason: "unexpected end of text inside an object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            throw Problem(offset: position, reason: "unexpected \(describeByte()), expected ',' or '}'")
        }
    }

    private mutating func parseArray(depth: Int) throws(Problem) -> JSONValue {
        guard depth <= Self.maxDepth else { throw Problem(offset: position, reason: "nesting deeper than \(Self.maxDepth) levels") }
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard position < bytes.count else { throw Problem(offset: position, reason: "unexpected end of text inside an array") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            throw Problem(offset: position, reason: "unexpected \(describeByte()), expected ',' or ']'")
        }
    }

    private mutating func parseNumber() throws(Problem) -> String {
        let start = position
        func digits(_ parser: inout StrictJSON) -> Int {
            let first = parser.position
            while parser.position < parser.bytes.count, (0x30...0x39).contains(parser.bytes[parser.position]) { parser.position += 1 }
            return parser.position - first
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw Problem(offset: position, reason: "a number has no digits") }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") {
            throw Problem(offset: integerStart, reason: "a number has a leading zero")
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw Problem(offset: position, reason: "a number has no digits after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw Problem(offset: position, reason: "a number has no exponent digits") }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func parseString() throws(Problem) -> String {
        let start = position
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flush(_ parser: StrictJSON, to end: Int) throws(Problem) {
            guard runStart < end else { return }
            guard let text = String(validating: parser.bytes[runStart..<end], as: UTF8.self) else {
                throw Problem(offset: runStart, reason: "a string is not valid UTF-8")
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard position < bytes.count else { throw Problem(offset: start, reason: "a string is not terminated") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                if scalars.isEmpty {
                    // No escape, as in nearly every string: the bytes are the string, with no
                    // detour through scalars (a safetensors header is mostly such strings).
                    guard let text = String(validating: bytes[runStart..<position], as: UTF8.self) else {
                        throw Problem(offset: runStart, reason: "a string is not valid UTF-8")
                    }
                    position += 1
                    return text
                }
                try flush(self, to: position)
                position += 1
                return String(scalars)
            }
            if byte < 0x20 {
                throw Problem(offset: position, reason: "a string contains the control character 0x\(String(byte, radix: 16)); JSON requires it escaped")
            }
            if byte != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            try flush(self, to: position)
            position += 1
            guard position < bytes.count else { throw Problem(offset: start, reason: "a string is not terminated") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0c}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                let high = try parseHex4()
                var value = UInt32(high)
                if (0xd800..<0xdc00).contains(high) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                        throw Problem(offset: position, reason: "a \\u escape is an unpaired surrogate")
                    }
                    position += 2
                    let low = try parseHex4()
                    guard (0xdc00..<0xe000).contains(low) else {
                        throw Problem(offset: position, reason: "a \\u escape is an unpaired surrogate")
                    }
                    value = 0x10000 + ((UInt32(high) - 0xd800) << 10) + (UInt32(low) - 0xdc00)
                }
                guard let scalar = Unicode.Scalar(value) else {
                    throw Problem(offset: position, reason: "a \\u escape is an unpaired surrogate")
                }
                scalars.append(scalar)
            default:
                throw Problem(offset: position - 1, reason: "a string has an invalid escape '\\\(Character(UnicodeScalar(escape)))'")
            }
            runStart = position
        }
    }

    private mutating func parseHex4() throws(Problem) -> UInt16 {
        guard position + 4 <= bytes.count else { throw Problem(offset: position, reason: "a \\u escape needs 4 hex digits") }
        var value: UInt16 = 0
        for byte in bytes[position..<(position + 4)] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Problem(offset: position, reason: "a \\u escape needs 4 hex digits")
            }
            value = value << 4 | UInt16(digit)
        }
        position += 4
        return value
    }
}
