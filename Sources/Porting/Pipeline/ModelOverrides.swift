import TensorIO

/// Model values given by the caller, for what the weights do not store: they win over a
/// `config.json` beside the weights and the layout family's defaults (``ModelValues``).
public struct ModelOverrides: Sendable, Equatable {
    /// Attention heads, for layouts that store attention as `[D, D]`.
    public var heads: Int?
    /// The MLP activation as a Hugging Face `hidden_act`.
    public var activation: String?
    /// The LayerNorm epsilon.
    public var layerNormEpsilon: Double?

    public init(heads: Int? = nil, activation: String? = nil, layerNormEpsilon: Double? = nil) {
        self.heads = heads
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
    }

    /// The first value no model can have, as a sentence naming it; nil when all are usable.
    /// The one home of these checks (the command line reports them as usage errors).
    public var invalidOption: SettingText? {
        if let heads, heads <= 0 { return "\(setting: .heads) must be positive" }
        if let layerNormEpsilon, !(layerNormEpsilon > 0 && layerNormEpsilon.isFinite) {
            return "\(setting: .layerNormEpsilon) must be a positive number"
        }
        if let activation, activation.isEmpty { return "\(setting: .activation) must name an activation" }
        return nil
    }
}
