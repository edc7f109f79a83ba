import Foundation

/// A tensor-name pattern from a schema: literal text with optional block-index placeholders.
///
/// - `{i}` stands for the block index in decimal (`blocks.{i}.attn.qkv.weight`).
/// - `{_i}` follows Keras's automatic layer names, where the first layer of a kind has no
///   suffix and later ones `_1`, `_2`, … (`vi_t_encoder_block{_i}` is `vi_t_encoder_block`,
///   `vi_t_encoder_block_1`, …).
///
/// A placeholder may appear more than once, every occurrence standing for the same block:
/// tf.keras stores a weight at `<layer>/<weight name>` and the weight name starts with the
/// layer's, so vit-keras's names hold the block twice
/// (`Transformer/encoderblock_{i}/Transformer/encoderblock_{i}/LayerNorm_0/gamma:0`).
struct NamePattern: Hashable, Sendable, CustomStringConvertible {
    let text: String

    /// One piece of the pattern: literal text, or a placeholder in one of its two forms.
    private enum Piece: Hashable, Sendable {
        case literal(Substring)
        case index(keras: Bool)
    }

    /// The pattern split into pieces once, since detection matches every name of a file
    /// against every rule.
    private let pieces: [Piece]
    /// The literal text before the first placeholder and after the last one: cheap checks
    /// that reject most names before any index is tried.
    private let head: Substring
    private let tail: Substring

    init(_ text: String) {
        self.text = text
        var pieces: [Piece] = []
        var rest = text[...]
        while let range = Self.nextPlaceholder(in: rest) {
            if range.lowerBound > rest.startIndex { pieces.append(.literal(rest[..<range.lowerBound])) }
            pieces.append(.index(keras: rest[range] == "{_i}"))
            rest = rest[range.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.literal(rest)) }
        self.pieces = pieces
        if case .literal(let first)? = pieces.first, pieces.count > 1 { head = first } else { head = "" }
        if case .literal(let last)? = pieces.last, pieces.count > 1 { tail = last } else { tail = "" }
    }

    /// The first `{i}` or `{_i}` in `text`.
    private static func nextPlaceholder(in text: Substring) -> Range<Substring.Index>? {
        let plain = text.range(of: "{i}")
        let keras = text.range(of: "{_i}")
        switch (plain, keras) {
        case let (plain?, keras?): return plain.lowerBound < keras.lowerBound ? plain : keras
        case let (plain?, nil): return plain
        case let (nil, keras?): return keras
        case (nil, nil): return nil
        }
    }

    var description: String { text }

    /// Whether the pattern has a block index.
    var isPerBlock: Bool { pieces.contains { if case .index = $0 { true } else { false } } }

    /// The largest number of digits an index may have: a million blocks is no real model, and
    /// the bound keeps a long run of digits in a name from being tried as an index.
    private static let maxIndexDigits = 6

    /// The block index `name` matches with, or nil when it does not match. A pattern with no
    /// placeholder matches only itself and gives index -1.
    ///
    /// An index matches when the pattern written with it is exactly `name`, so every
    /// occurrence of the placeholder must hold the same index, in its canonical form: `01`,
    /// or `_0` for `{_i}`, never matches.
    func match(_ name: String) -> Int? {
        guard isPerBlock else { return name == text ? -1 : nil }
        guard name.hasPrefix(head), name.hasSuffix(tail), name.count >= head.count + tail.count else { return nil }
        guard case .index(let keras)? = pieces.first(where: { if case .index = $0 { true } else { false } }) else { return nil }
        // The candidates are read from where the first placeholder starts.
        var rest = name.dropFirst(head.count)
        var candidates: [Int] = []
        if keras {
            candidates.append(0)
            guard rest.first == "_" else { return verify(candidates, name) }
            rest = rest.dropFirst()
        }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }.prefix(Self.maxIndexDigits)
        for length in stride(from: 1, through: digits.count, by: 1) {
            if let index = Int(digits.prefix(length)) { candidates.append(index) }
        }
        return verify(candidates, name)
    }

    /// The first candidate index for which the pattern is written as `name`.
    private func verify(_ candidates: [Int], _ name: String) -> Int? {
        candidates.first { self.name(block: $0) == name }
    }

    /// The name for block `index` (the pattern itself when it has no placeholder).
    func name(block index: Int) -> String {
        guard isPerBlock else { return text }
        var result = ""
        for piece in pieces {
            switch piece {
            case .literal(let literal): result += literal
            case .index(let keras): result += keras ? (index == 0 ? "" : "_\(index)") : String(index)
            }
        }
        return result
    }

    static func == (a: NamePattern, b: NamePattern) -> Bool { a.text == b.text }

    func hash(into hasher: inout Hasher) { hasher.combine(text) }
}
