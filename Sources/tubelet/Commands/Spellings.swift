import ArgumentParser
import Porting
import TensorIO

/// One spelling per thing on the command line, the other spellings people type accepted for
/// it, and a "did you mean" for a near miss. Help and messages show the first spelling only.
///
/// Values are compared lower-cased with `_` read as `-`, and "factorized" as "factorised",
/// so scenic's own names (`factorized_encoder`) and the paper's numbers (`--model 2`) work.
enum Spellings {
    static func normalised(_ text: String) -> String {
        text.lowercased().replacing("_", with: "-").replacing("factorized", with: "factorised")
    }

    /// The value `text` names among `choices` (each: shown spelling, other spellings, value),
    /// or a usage error that lists the shown spellings and suggests the nearest.
    static func parse<Value>(_ text: String, what: String, _ choices: [(shown: String, also: [String], value: Value)]) throws -> Value {
        let typed = normalised(text)
        for choice in choices where ([choice.shown] + choice.also).map(normalised).contains(typed) {
            return choice.value
        }
        let shown = choices.map(\.shown)
        let near = NameSuggestion.nearest(to: typed, among: choices.flatMap { [$0.shown] + $0.also })
            .flatMap { name in choices.first { ([$0.shown] + $0.also).contains(name) }?.shown }
        throw ValidationError("'\(text)' is not \(what)." + (near.map { " Did you mean '\($0)'?" } ?? "")
                              + " Choose one of: \(shown.joined(separator: ", "))")
    }

    static let models: [(shown: String, also: [String], value: VideoModel)] = [
        ("spacetime", ["1", "space-time"], .spacetime),
        ("factorised-encoder", ["2"], .factorisedEncoder),
        ("factorised-self-attention", ["3", "factorised-self-attention-block"], .factorisedSelfAttention),
        ("factorised-dot-product", ["4", "factorised-dot-product-attention"], .factorisedDotProduct),
        ("timesformer", ["divided-space-time"], .timesformer),
    ]

    static func model(_ text: String) throws -> VideoModel {
        try parse(text, what: "a video model", models)
    }

    /// Output formats, the same words for `inflate` and `convert` (`pth`, also `pytorch`).
    static let formats: [(shown: String, also: [String], value: String)] = [
        ("hdf5", ["h5"], "hdf5"), ("npz", [], "npz"), ("npy", [], "npy"), ("safetensors", [], "safetensors"),
        ("msgpack", ["flax"], "msgpack"), ("pth", ["pytorch", "pt", "torch"], "pth"), ("hf", ["huggingface"], "hf"),
    ]

    /// `inflate --format`: the same words, less npy (an inflation is many tensors).
    static func inflationFormat(_ text: String) throws -> Inflation.Format {
        let choices = formats.filter { $0.value != "npy" }
        return Inflation.Format(rawValue: try parse(text, what: "an inflation output format", choices)) ?? .npz
    }

    /// The floating-point dtypes `--dtype` casts to, and their usual short names.
    static let dtypes: [(shown: String, also: [String], value: DType)] = [
        ("float16", ["fp16", "f16", "half"], .float16), ("bfloat16", ["bf16"], .bfloat16),
        ("float32", ["fp32", "f32", "float", "single"], .float32), ("float64", ["fp64", "f64", "double"], .float64),
    ]

    static func dtype(_ text: String) throws -> DType {
        try parse(text, what: "a floating-point dtype (--dtype casts floating-point tensors only)", dtypes)
    }
}
