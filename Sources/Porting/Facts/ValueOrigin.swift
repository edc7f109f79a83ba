/// Where a value that the weights may not store came from: the head count, the activation,
/// the LayerNorm epsilon.
///
/// A value that changes what the model computes must never be guessed silently: every one is
/// carried with its origin, so outputs and reports can say which values were read and which
/// were assumed.
public enum ValueOrigin: Sendable, Equatable, Hashable {
    /// The tensors' own shapes say it (q/k/v kernels stored as `[D, H, hd]`).
    case stored
    /// A configuration file beside the weights (Hugging Face's or timm's `config.json`),
    /// with the field that gave it.
    case configFile(path: String, field: String)
    /// The caller gave it (on the command line: an option).
    case given
    /// The only standard configuration with these dimensions has it (e.g. "ViT-H/14").
    case standardConfiguration(String)
    /// The usual value of the layout's family (a schema's `activation`), which a particular
    /// model of that family may not share.
    case familyDefault(layout: String)

    /// Whether the value is an assumption rather than something the file, its config or the
    /// user said.
    public var isAssumed: Bool {
        switch self {
        case .stored, .configFile, .given: false
        case .standardConfiguration, .familyDefault: true
        }
    }

    /// Where it came from: "stored in the weights", "config.json (num_attention_heads)",
    /// "the standard ViT-H/14", "the timm family's default".
    public var basis: String {
        switch self {
        case .stored: "stored in the weights"
        case .configFile(let path, let field): "\(path), \(field)"
        case .given: "given"
        case .standardConfiguration(let name): "the standard \(name)"
        case .familyDefault(let layout): "the \(layout) family's default"
        }
    }

    /// ``basis``, marked "(assumed)" when it is an assumption.
    public var description: String {
        isAssumed ? basis + ", assumed" : basis
    }
}

/// A value and where it came from.
public struct Sourced<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var origin: ValueOrigin

    public init(_ value: Value, _ origin: ValueOrigin) {
        self.value = value
        self.origin = origin
    }
}
