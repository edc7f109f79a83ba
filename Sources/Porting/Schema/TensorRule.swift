/// One line of a schema: file tensor(s) ↔ canonical tensor(s), with the transform that takes
/// the file's form to the canonical form.
///
/// JSON: `{"name": "blocks.{i}.attn.qkv.weight", "canonical": ["…/query/kernel", …],
/// "transform": [{"op": "split", "axis": 0, "parts": 3}, …], "optional": true}`. `name` and
/// `canonical` are a string or a list of strings.
public struct TensorRule: Codable, Sendable, Equatable {
    /// The file's tensor names (after the prefix), `{i}` for the block index.
    var sources: [NamePattern]
    /// The canonical names.
    var targets: [NamePattern]
    /// Steps from the file's form to the canonical form, applied in order.
    var transform: [TransformStep]
    /// The tensors may be absent (a `pre_logits` layer, a classifier head).
    var optional: Bool
    /// The file holds all blocks in one tensor with a leading depth axis (scan layouts); the
    /// source names have no `{i}`, the canonical names do.
    var stacked: Bool

    /// Whether the rule is per block of the second stack (`{j}`: Model 2's temporal transformer).
    var isTemporalBlock: Bool { targets.contains(where: \.isTemporalBlock) }

    enum CodingKeys: String, CodingKey {
        case name, canonical, transform, optional, stacked
    }

    /// A rule as its JSON spells it (the built-in schemas are compiled to these calls).
    init(name: [String], canonical: [String], transform: [TransformStep] = [], optional: Bool = false, stacked: Bool = false) {
        sources = name.map(NamePattern.init)
        targets = canonical.map(NamePattern.init)
        self.transform = transform
        self.optional = optional
        self.stacked = stacked
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sources = try Self.decodeNames(container, .name).map(NamePattern.init)
        targets = try Self.decodeNames(container, .canonical).map(NamePattern.init)
        transform = try container.decodeIfPresent([TransformStep].self, forKey: .transform) ?? []
        optional = try container.decodeIfPresent(Bool.self, forKey: .optional) ?? false
        stacked = try container.decodeIfPresent(Bool.self, forKey: .stacked) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try Self.encodeNames(sources.map(\.text), &container, .name)
        try Self.encodeNames(targets.map(\.text), &container, .canonical)
        if !transform.isEmpty { try container.encode(transform, forKey: .transform) }
        if optional { try container.encode(true, forKey: .optional) }
        if stacked { try container.encode(true, forKey: .stacked) }
    }

    private static func decodeNames(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [String] {
        if let single = try? container.decode(String.self, forKey: key) { return [single] }
        return try container.decode([String].self, forKey: key)
    }

    private static func encodeNames(_ names: [String], _ container: inout KeyedEncodingContainer<CodingKeys>, _ key: CodingKeys) throws {
        if names.count == 1 { try container.encode(names[0], forKey: key) } else { try container.encode(names, forKey: key) }
    }

    struct Invalid: Error {
        let reason: String
    }

    /// The rule's patterns and transform must agree on how many tensors go in and come out.
    func validate() throws(Invalid) {
        guard !sources.isEmpty, !targets.isEmpty else { throw Invalid(reason: "name and canonical must not be empty") }
        let perBlock = targets.contains(where: \.isPerBlock)
        if stacked {
            guard sources.allSatisfy({ !$0.isPerBlock }), targets.allSatisfy({ $0.isPerBlock && !$0.isTemporalBlock }) else {
                throw Invalid(reason: "a stacked rule has no {i} in its names and {i} in every canonical name")
            }
        } else {
            guard sources.allSatisfy({ $0.isPerBlock == perBlock }), targets.allSatisfy({ $0.isPerBlock == perBlock }) else {
                throw Invalid(reason: "either every name and canonical name has {i} or none has")
            }
            let temporal = targets.contains(where: \.isTemporalBlock)
            guard (sources + targets).allSatisfy({ $0.isTemporalBlock == temporal && !$0.mixesStacks }) else {
                throw Invalid(reason: "either every name and canonical name has {j} (the second stack's block) or none has, and none has both {i} and {j}")
            }
        }
        var count = sources.count
        for step in transform {
            count = try step.outputCount(inputCount: count)
        }
        guard count == targets.count else {
            throw Invalid(reason: "the transform turns \(sources.count) tensor(s) into \(count), but \(targets.count) canonical name(s) are given")
        }
    }
}
