/// A tensor-name pattern from a schema: literal text with optional block-index placeholders.
///
/// - `{i}` stands for the block index in decimal (`blocks.{i}.attn.qkv.weight`).
/// - `{j}` stands for the index of a block of a second, independent stack in decimal: ViViT
///   Model 2's temporal transformer (`TemporalTransformer/encoderblock_{j}/…`), whose depth
///   is not the spatial transformer's. A pattern holds `{i}` or `{j}`, never both.
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

    /// One piece of the pattern: literal text (as UTF-8 bytes), or a placeholder in one of
    /// its two forms.
    private enum Piece: Hashable, Sendable {
        case literal([UInt8])
        case index(keras: Bool)
        /// `{j}`: written like `{i}`, counted apart.
        case temporalIndex
    }

    /// The pattern split into pieces once, since detection matches every name of a file
    /// against every rule of every layout. Matching works on UTF-8 bytes, not Characters:
    /// names are compared byte for byte, and grapheme breaking made detection most of
    /// `inspect`'s time.
    private let pieces: [Piece]
    /// The literal bytes before the first placeholder and after the last one: cheap checks
    /// that reject most names before any index is tried.
    private let head: [UInt8]
    private let tail: [UInt8]
    /// Whether the first placeholder is `{_i}`; nil when the pattern has none.
    private let firstPlaceholderIsKeras: Bool?
    /// Whether the placeholder is `{j}`, the second stack's block index.
    let isTemporalBlock: Bool

    init(_ text: String) {
        self.text = text
        // Literal runs are cut out between placeholders, which all start with `{`: every
        // built-in schema's patterns are split at start-up, so no byte is looked at twice.
        let bytes = Array(text.utf8)
        var pieces: [Piece] = []
        var literalStart = 0
        var position = 0
        while position < bytes.count {
            guard bytes[position] == UInt8(ascii: "{"), let (length, placeholder) = Self.placeholder(in: bytes, at: position) else {
                position += 1
                continue
            }
            if literalStart < position { pieces.append(.literal(Array(bytes[literalStart..<position]))) }
            pieces.append(placeholder)
            position += length
            literalStart = position
        }
        if literalStart < bytes.count { pieces.append(.literal(Array(bytes[literalStart...]))) }
        self.pieces = pieces
        if case .literal(let first)? = pieces.first, pieces.count > 1 { head = first } else { head = [] }
        if case .literal(let last)? = pieces.last, pieces.count > 1 { tail = last } else { tail = [] }
        firstPlaceholderIsKeras = pieces.lazy.compactMap { piece -> Bool? in
            switch piece {
            case .index(let keras): keras
            case .temporalIndex: false
            case .literal: nil
            }
        }.first
        isTemporalBlock = pieces.contains(.temporalIndex)
    }

    private static let plainPlaceholder = Array("{i}".utf8)
    private static let kerasPlaceholder = Array("{_i}".utf8)
    private static let temporalPlaceholder = Array("{j}".utf8)

    /// The length of the `{i}`, `{_i}` or `{j}` at `position` in `bytes` (which holds `{`
    /// there), and the piece it is.
    private static func placeholder(in bytes: [UInt8], at position: Int) -> (length: Int, piece: Piece)? {
        let rest = bytes[position...]
        if rest.starts(with: plainPlaceholder) { return (plainPlaceholder.count, .index(keras: false)) }
        if rest.starts(with: kerasPlaceholder) { return (kerasPlaceholder.count, .index(keras: true)) }
        if rest.starts(with: temporalPlaceholder) { return (temporalPlaceholder.count, .temporalIndex) }
        return nil
    }

    var description: String { text }

    /// Whether the pattern has a block index (`{i}`, `{_i}` or `{j}`).
    var isPerBlock: Bool { firstPlaceholderIsKeras != nil }

    /// Whether the pattern mixes `{j}` with `{i}` or `{_i}`, which no rule may.
    var mixesStacks: Bool {
        isTemporalBlock && pieces.contains { if case .index = $0 { true } else { false } }
    }

    /// The largest number of digits an index may have: a million blocks is no real model, and
    /// the bound keeps a long run of digits in a name from being tried as an index.
    private static let maxIndexDigits = 6

    /// The block index `name` matches with, or nil when it does not match. A pattern with no
    /// placeholder matches only itself and gives index -1.
    ///
    /// An index matches when the pattern written with it is exactly `name`, byte for byte, so
    /// every occurrence of the placeholder must hold the same index, in its canonical form:
    /// `01`, or `_0` for `{_i}`, never matches.
    func match(_ name: String) -> Int? {
        guard let keras = firstPlaceholderIsKeras else { return name == text ? -1 : nil }
        if let index = name.utf8.withContiguousStorageIfAvailable({ match(bytes: $0, keras: keras) }) { return index }
        return Array(name.utf8).withUnsafeBufferPointer { match(bytes: $0, keras: keras) }
    }

    /// The highest block index with which any of `names` (UTF-8 bytes) matches; nil when none
    /// does or the pattern has no placeholder. Detection asks this of every per-block pattern
    /// of every layout over every name of the file, so most names are turned away by their
    /// first byte before a full match is tried.
    func highestIndex(in names: [[UInt8]]) -> Int? {
        guard let keras = firstPlaceholderIsKeras else { return nil }
        let first = head.first
        var highest: Int?
        for name in names where first == nil || name.first == first {
            if let index = name.withUnsafeBufferPointer({ match(bytes: $0, keras: keras) }), index > (highest ?? -1) {
                highest = index
            }
        }
        return highest
    }

    private func match(bytes: UnsafeBufferPointer<UInt8>, keras: Bool) -> Int? {
        let count = bytes.count
        guard count >= head.count + tail.count,
              head.elementsEqual(bytes[..<head.count]),
              tail.elementsEqual(bytes[(count - tail.count)...]) else { return nil }
        // The candidates are read from where the first placeholder starts: `{_i}` may be
        // empty (block 0), otherwise each run of leading digits is tried, shortest first.
        var position = head.count
        if keras {
            if matches(bytes, block: 0) { return 0 }
            guard position < count, bytes[position] == UInt8(ascii: "_") else { return nil }
            position += 1
        }
        var index = 0
        for _ in 1...Self.maxIndexDigits {
            guard position < count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) else { break }
            index = index * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            position += 1
            if matches(bytes, block: index) { return index }
        }
        return nil
    }

    /// Whether the pattern written with block `index` is exactly `bytes`, compared piece by
    /// piece without building the name.
    private func matches(_ bytes: UnsafeBufferPointer<UInt8>, block index: Int) -> Bool {
        var position = 0
        func consume<Bytes: Collection<UInt8>>(_ expected: Bytes) -> Bool {
            guard bytes.count - position >= expected.count,
                  expected.elementsEqual(bytes[position..<(position + expected.count)]) else { return false }
            position += expected.count
            return true
        }
        for piece in pieces {
            switch piece {
            case .literal(let literal):
                guard consume(literal) else { return false }
            case .index(let keras):
                if keras && index == 0 { continue }
                if keras { guard consume(CollectionOfOne(UInt8(ascii: "_"))) else { return false } }
                guard consume(String(index).utf8) else { return false }
            case .temporalIndex:
                guard consume(String(index).utf8) else { return false }
            }
        }
        return position == bytes.count
    }

    /// The name for block `index` (the pattern itself when it has no placeholder).
    func name(block index: Int) -> String {
        guard isPerBlock else { return text }
        // Built as bytes and decoded once: detection names every rule's tensors for every block.
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count + 8)
        for piece in pieces {
            switch piece {
            case .literal(let literal): result += literal
            case .index(let keras):
                if keras && index == 0 { continue }
                if keras { result.append(UInt8(ascii: "_")) }
                result += String(index).utf8
            case .temporalIndex: result += String(index).utf8
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    static func == (a: NamePattern, b: NamePattern) -> Bool { a.text == b.text }

    func hash(into hasher: inout Hasher) { hasher.combine(text) }
}
