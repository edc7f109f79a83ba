import FoundationEssentials
import TensorIO

/// A JSON value built in code, for the `config.json` files Tubelet writes.
///
/// Encoded by `JSONEncoder` with sorted keys and indentation, as `json.dumps(sort_keys=True,
/// indent=2)` would lay them out. (Foundation's `JSONSerialization` took `[String: Any]` for
/// this, but it lives in full Foundation, which the release binary does not link.)
enum JSONLiteral: Encodable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
                  ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral {
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case array([JSONLiteral])
    case object([String: JSONLiteral])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .integer(value) }
    init(floatLiteral value: Double) { self = .number(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONLiteral...) { self = .array(elements) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }

    /// `object` as the text of a JSON file, keys sorted, two-space indents.
    static func fileData(_ object: [String: JSONLiteral], file: String) throws(CheckpointError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            return try encoder.encode(object)
        } catch {
            throw CheckpointError(.io, file: file, "cannot encode config.json: \(error)")
        }
    }

    /// One line of JSON, keys sorted: for metadata values.
    var compactText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers, arrays and objects of them always encode.
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
