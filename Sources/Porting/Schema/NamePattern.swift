import Foundation

/// A tensor-name pattern from a schema: literal text with an optional `{i}` standing for an
/// encoder block index (`blocks.{i}.attn.qkv.weight`).
struct NamePattern: Hashable, Sendable, CustomStringConvertible {
    let text: String

    init(_ text: String) {
        self.text = text
    }

    var description: String { text }

    /// Whether the pattern has a block index.
    var isPerBlock: Bool { text.contains("{i}") }

    /// The block index `name` matches with, or nil when it does not match. A pattern with no
    /// `{i}` matches only itself and gives index -1.
    func match(_ name: String) -> Int? {
        guard let placeholder = text.range(of: "{i}") else { return name == text ? -1 : nil }
        let head = text[..<placeholder.lowerBound]
        let tail = text[placeholder.upperBound...]
        guard name.count > head.count + tail.count, name.hasPrefix(head), name.hasSuffix(tail) else { return nil }
        let digits = name.dropFirst(head.count).dropLast(tail.count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
              digits == "0" || digits.first != "0", digits.count <= 6, let index = Int(digits) else { return nil }
        return index
    }

    /// The name for block `index` (the pattern itself when it has no `{i}`).
    func name(block index: Int) -> String {
        text.replacingOccurrences(of: "{i}", with: String(index))
    }
}
