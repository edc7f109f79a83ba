/// A Python literal as it appears in a `.npy` header: the subset `ast.literal_eval` accepts
/// that numpy headers use.
///
/// The header is parsed by this small grammar, never evaluated: calls, names and operators
/// are syntax errors, and nesting is capped, so a hostile header cannot do more than fail.
indirect enum PythonLiteral: Equatable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dictionary([String: PythonLiteral], order: [String])

    /// A short description for error messages ("a tuple", "the string '<f4'").
    var kindDescription: String {
        switch self {
        case .string(let value): "the string '\(value)'"
        case .integer(let value): "the integer \(value)"
        case .boolean(let value): value ? "True" : "False"
        case .none: "None"
        case .tuple: "a tuple"
        case .list: "a list"
        case .dictionary: "a dict"
        }
    }
}

/// Parses one ``PythonLiteral`` from text.
struct PythonLiteralParser {
    struct SyntaxError: Error {
        let column: Int
        let message: String
    }

    /// The text as Unicode scalars, not Characters: a header is ASCII in practice, and
    /// grapheme breaking made parsing most of the time spent listing a large npz.
    private let scalars: [Unicode.Scalar]
    private var position = 0
    private static let maxDepth = 32

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    /// Parses the whole text as one literal; only whitespace may follow it.
    static func parse(_ text: String) throws(SyntaxError) -> PythonLiteral {
        var parser = PythonLiteralParser(text)
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == parser.scalars.count else {
            throw parser.error("unexpected text after the literal")
        }
        return value
    }

    private func error(_ message: String) -> SyntaxError {
        SyntaxError(column: position + 1, message: message)
    }

    private mutating func skipWhitespace() {
        while position < scalars.count, Self.isWhitespace(scalars[position]) { position += 1 }
    }

    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\n", "\t", "\r", "\u{0B}", "\u{0C}": true
        default: !scalar.isASCII && scalar.properties.isWhitespace
        }
    }

    private mutating func parseValue(depth: Int) throws(SyntaxError) -> PythonLiteral {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
        skipWhitespace()
        guard position < scalars.count else { throw error("unexpected end of header") }
        let character = scalars[position]
        switch character {
        case "{": return try parseDictionary(depth: depth)
        case "(": return try parseSequence(closing: ")", depth: depth)
        case "[": return try parseSequence(closing: "]", depth: depth)
        case "'", "\"": return .string(try parseString())
        case "-", "+", "0"..."9": return .integer(try parseInteger())
        default:
            let word = parseWord()
            switch word {
            case "True": return .boolean(true)
            case "False": return .boolean(false)
            case "None": return .none
            case "": throw error("unexpected character '\(character)'")
            default: throw error("'\(word)' is not a literal")
            }
        }
    }

    private mutating func parseWord() -> String {
        var word = ""
        while position < scalars.count,
              scalars[position].properties.isAlphabetic || scalars[position].properties.numericType != nil || scalars[position] == "_" {
            word.unicodeScalars.append(scalars[position])
            position += 1
        }
        return word
    }

    private mutating func parseInteger() throws(SyntaxError) -> Int {
        let start = position
        var negative = false
        if scalars[position] == "-" || scalars[position] == "+" {
            negative = scalars[position] == "-"
            position += 1
        }
        var value = 0
        var digits = 0
        while position < scalars.count, ("0"..."9").contains(scalars[position]) {
            let digit = Int(scalars[position].value - Unicode.Scalar("0").value)
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else {
                position = start
                throw error("integer too large")
            }
            value = sum
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw error("expected digits") }
        // Python 2 wrote long integers with an `L` suffix (numpy's win64python2.npy has one).
        if position < scalars.count, scalars[position] == "L" || scalars[position] == "l" { position += 1 }
        if position < scalars.count, scalars[position].properties.isAlphabetic || scalars[position] == "." || scalars[position] == "_" {
            throw error("only plain integers are allowed here")
        }
        return negative ? -value : value
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        let quote = scalars[position]
        position += 1
        var value = ""
        while position < scalars.count {
            let character = scalars[position]
            position += 1
            if character == quote { return value }
            if character == "\n" { throw error("line break inside a string") }
            if character == "\\" {
                guard position < scalars.count else { break }
                let escaped = scalars[position]
                position += 1
                switch escaped {
                case "\\", "'", "\"": value.unicodeScalars.append(escaped)
                case "n": value.append("\n")
                case "t": value.append("\t")
                default: throw error("unsupported escape '\\\(escaped)' in a string")
                }
            } else {
                value.unicodeScalars.append(character)
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseSequence(closing: Unicode.Scalar, depth: Int) throws(SyntaxError) -> PythonLiteral {
        position += 1
        var items: [PythonLiteral] = []
        var sawComma = false
        while true {
            skipWhitespace()
            guard position < scalars.count else { throw error("unexpected end of header, expected '\(closing)'") }
            if scalars[position] == closing {
                position += 1
                break
            }
            if !items.isEmpty && !sawComma { throw error("expected ',' or '\(closing)'") }
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            sawComma = false
            if position < scalars.count, scalars[position] == "," {
                position += 1
                sawComma = true
            }
        }
        if closing == "]" { return .list(items) }
        // `(3)` is the integer 3 in Python, not a tuple; only `(3,)` is a one-element tuple.
        if items.count == 1 && !sawComma { return items[0] }
        return .tuple(items)
    }

    private mutating func parseDictionary(depth: Int) throws(SyntaxError) -> PythonLiteral {
        position += 1
        var values: [String: PythonLiteral] = [:]
        var order: [String] = []
        var sawComma = true
        while true {
            skipWhitespace()
            guard position < scalars.count else { throw error("unexpected end of header, expected '}'") }
            if scalars[position] == "}" {
                position += 1
                return .dictionary(values, order: order)
            }
            guard sawComma else { throw error("expected ',' or '}'") }
            guard scalars[position] == "'" || scalars[position] == "\"" else {
                throw error("dictionary keys must be strings")
            }
            let key = try parseString()
            skipWhitespace()
            guard position < scalars.count, scalars[position] == ":" else { throw error("expected ':' after key '\(key)'") }
            position += 1
            let value = try parseValue(depth: depth + 1)
            guard values[key] == nil else { throw error("key '\(key)' appears twice") }
            values[key] = value
            order.append(key)
            skipWhitespace()
            sawComma = false
            if position < scalars.count, scalars[position] == "," {
                position += 1
                sawComma = true
            }
        }
    }
}
