/// The values a converted or inflated model's config needs that the weights may not store,
/// each with where it came from: the head count, the MLP activation, the LayerNorm epsilon.
///
/// Order of evidence: the tensors' shapes (heads only); the value given by the caller; a
/// `config.json` beside the weights; for heads, the one standard configuration with these
/// dimensions; for the activation and epsilon, the layout family's default, recorded as
/// assumed. A value none of these gives stays nil, and whatever needs it refuses.
///
/// JSON (inspect's `layout.values`, the report's `values`): `{"heads", "activation",
/// "layer_norm_eps"}`, each `{"value", "origin", "assumed"}`; an unknown value has `null` value
/// and origin.
public struct ModelValues: Sendable, Equatable, Encodable {
    public var heads: Sourced<Int>?
    public var activation: Sourced<String>?
    public var layerNormEpsilon: Sourced<Double>?

    public init(heads: Sourced<Int>? = nil, activation: Sourced<String>? = nil, layerNormEpsilon: Sourced<Double>? = nil) {
        self.heads = heads
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
    }

    /// The values for a matched layout. The head count is the match's (which already weighed
    /// the given count, the config and the standard table).
    public static func resolve(_ match: LayoutMatch, config: SourceConfig?, activation: String?,
                               layerNormEpsilon: Double?) -> ModelValues {
        let family = ValueOrigin.familyDefault(layout: match.schema.name)
        return ModelValues(
            heads: match.headCount.sourced,
            activation: activation.map { Sourced($0, .given) } ?? config?.activation
                ?? match.schema.activation.map { Sourced($0, family) },
            layerNormEpsilon: layerNormEpsilon.map { Sourced($0, .given) } ?? config?.layerNormEpsilon
                ?? match.schema.layerNormEpsilon.map { Sourced($0, family) })
    }

    /// The values that were assumed rather than read or given.
    public var assumptions: [(name: String, value: String, origin: ValueOrigin)] {
        entries.compactMap { entry in entry.origin.flatMap { $0.isAssumed ? (entry.name, entry.value, $0) : nil } }
    }

    /// Each value as name, value text ("not stored" when unknown) and origin.
    public var entries: [(name: String, value: String, origin: ValueOrigin?)] {
        [("heads", heads.map { String($0.value) } ?? "not stored", heads?.origin),
         ("activation", activation?.value ?? "not stored", activation?.origin),
         ("layer_norm_eps", layerNormEpsilon.map { Self.text($0.value) } ?? "not stored", layerNormEpsilon?.origin)]
    }

    /// One line for people: "heads 16 (config.json, num_attention_heads); activation gelu (the timm family's default, assumed); …".
    public var line: String {
        entries.map { entry in "\(entry.name) \(entry.value)" + (entry.origin.map { " (\($0.description))" } ?? "") }
            .joined(separator: "; ")
    }

    enum CodingKeys: String, CodingKey {
        case heads, activation
        case layerNormEpsilon = "layer_norm_eps"
    }

    /// One value's JSON: the value in its own JSON type, where it came from, and whether that
    /// was an assumption.
    private struct Entry<Value: Encodable & Sendable & Equatable>: Encodable {
        let sourced: Sourced<Value>?

        enum CodingKeys: String, CodingKey { case value, origin, assumed }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(sourced?.value, forKey: .value)
            try container.encode(sourced?.origin.description, forKey: .origin)
            try container.encode(sourced?.origin.isAssumed ?? false, forKey: .assumed)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Entry(sourced: heads), forKey: .heads)
        try container.encode(Entry(sourced: activation), forKey: .activation)
        try container.encode(Entry(sourced: layerNormEpsilon), forKey: .layerNormEpsilon)
    }

    /// `1e-06` as `1e-06`, 0.5 as `0.5`: how Python prints the epsilons configs carry.
    static func text(_ value: Double) -> String {
        value.description
    }
}
