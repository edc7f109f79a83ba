import TensorIO

/// Something a pipeline step tells the person who asked for it, as a value: the caller shows
/// it (the command line prints it on stderr once every check has passed) or keeps it.
public struct PipelineNote: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The layouts a conversion reads and writes.
        case layout
        /// An exact rewrite of the source (LayerScale folded, a zero CLS position …).
        case rewrite
        /// A source tensor the model never reads, or one outside the model's prefix.
        case leftOut
        /// Tensors left out on purpose (``TensorExclusion``).
        case excluded
        /// A value assumed, not read or given (the head count, the activation …).
        case assumption
        /// Advice about using the output (an activation the target family does not use, how
        /// to load a model without a pooler).
        case advice
    }

    public var kind: Kind
    public var text: SettingText

    public init(_ kind: Kind, _ text: SettingText) {
        self.kind = kind
        self.text = text
    }

    /// The note with settings named as the Swift API names them.
    public var description: String { text.description }

    /// Notes for the assumed values among `names` (the ones the output records: `heads`,
    /// `activation`, `layer_norm_eps`), each naming the setting that overrides it.
    public static func assumptions(_ values: ModelValues, recorded names: Set<String>) -> [PipelineNote] {
        let settings: [String: Setting] = ["heads": .heads, "activation": .activation, "layer_norm_eps": .layerNormEpsilon]
        return values.assumptions.filter { names.contains($0.name) }.compactMap { assumption in
            settings[assumption.name].map { setting in
                PipelineNote(.assumption, "note: assumed \(assumption.name) \(assumption.value): \(assumption.origin.basis); pass \(setting: setting) if the model has another")
            }
        }
    }
}
