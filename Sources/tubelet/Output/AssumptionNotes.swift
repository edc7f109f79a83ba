import Porting

/// The notes that say which model values were assumed, each with the option that overrides it.
enum AssumptionNotes {
    static let options = ["heads": "--heads", "activation": "--activation", "layer_norm_eps": "--layer-norm-eps"]

    /// Notes for the assumed values among `names` (the ones the output records).
    static func lines(_ values: ModelValues, recorded names: Set<String>) -> [String] {
        values.assumptions.filter { names.contains($0.name) }.map { assumption in
            "note: assumed \(assumption.name) \(assumption.value): \(assumption.origin.basis); pass \(options[assumption.name] ?? "") if the model has another"
        }
    }
}
