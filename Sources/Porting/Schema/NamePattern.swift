import Foundation

/// A tensor-name pattern from a schema: literal text with an optional block-index
/// placeholder.
///
/// - `{i}` stands for the block index in decimal (`blocks.{i}.attn.qkv.weight`).
/// - `{_i}` follows Keras's automatic layer names, where the first layer of a kind has no
///   suffix and later ones `_1`, `_2`, … (`vi_t_encoder_block{_i}` is `vi_t_encoder_block`,
///   `vi_t_encoder_block_1`, …).
struct NamePattern: Hashable, Sendable, CustomStringConvertible {
    let text: String

    init(_ text: String) {
        self.text = text
    }

    var description: String { text }

    private var placeholder: (range: Range<String.Index>, keras: Bool)? {
        if let range = text.range(of: "{_i}") { return (range, true) }
        if let range = text.range(of: "{i}") { return (range, false) }
        return nil
    }

    /// Whether the pattern has a block index.
    var isPerBlock: Bool { placeholder != nil }

    /// The block index `name` matches with, or nil when it does not match. A pattern with no
    /// placeholder matches only itself and gives index -1.
    func match(_ name: String) -> Int? {
        guard let (range, keras) = placeholder else { return name == text ? -1 : nil }
        let head = text[..<range.lowerBound]
        let tail = text[range.upperBound...]
        guard name.count >= head.count + tail.count, name.hasPrefix(head), name.hasSuffix(tail) else { return nil }
        var digits = name.dropFirst(head.count).dropLast(tail.count)
        if keras {
            if digits.isEmpty { return 0 }
            guard digits.first == "_" else { return nil }
            digits = digits.dropFirst()
            guard digits != "0" else { return nil }
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
              digits == "0" || digits.first != "0", digits.count <= 6, let index = Int(digits) else { return nil }
        return index
    }

    /// The name for block `index` (the pattern itself when it has no placeholder).
    func name(block index: Int) -> String {
        guard let (range, keras) = placeholder else { return text }
        let value = keras ? (index == 0 ? "" : "_\(index)") : String(index)
        return text.replacingCharacters(in: range, with: value)
    }
}
