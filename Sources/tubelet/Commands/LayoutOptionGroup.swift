import ArgumentParser
import Porting
import TensorIO

/// Options that change how layouts are recognised and what a model's config says, shared by
/// every command that looks at layouts.
struct LayoutOptionGroup: ParsableArguments {
    @Option(name: .customLong("schema"), help: ArgumentHelp(
        "A layout schema JSON file to use besides the built-in ones (repeatable).", valueName: "FILE"),
            completion: .file(extensions: ["json"]))
    var schemaFiles: [String] = []

    @Option(help: "Attention heads, for layouts that store attention as [D, D] (timm, Hugging Face, Keras) when no config.json beside the weights says. Never guessed: without it, what depends on the head count is refused.")
    var heads: Int?

    @Option(help: "The MLP activation as a Hugging Face hidden_act (gelu, gelu_pytorch_tanh, gelu_fast, quick_gelu…), when the weights' config.json does not say (default: the layout family's, reported as assumed).")
    var activation: String?

    @Option(name: .customLong("layer-norm-eps"), help: "The LayerNorm epsilon, when the weights' config.json does not say (default: the layout family's, reported as assumed).")
    var layerNormEpsilon: Double?

    func validate() throws {
        if let heads, heads <= 0 { throw ValidationError("--heads must be positive") }
        if let layerNormEpsilon, !(layerNormEpsilon > 0 && layerNormEpsilon.isFinite) {
            throw ValidationError("--layer-norm-eps must be a positive number")
        }
        if let activation, activation.isEmpty { throw ValidationError("--activation must name an activation") }
    }

    /// The built-in layouts plus the user's.
    /// Checks that `--to`/`--from` name a layout, as a usage error (exit 64) before any file is read.
    func requireLayout(_ name: String?, option: String) throws {
        guard let name else { return }
        let names = try library().schemas.map(\.name).sorted()
        guard names.contains(name) else {
            throw ValidationError("\(option) \(name): no layout of this name."
                + NameSuggestion.didYouMean(name, among: names) + " Known layouts: \(names.joined(separator: ", "))")
        }
    }

    func library() throws -> SchemaLibrary {
        var library = try SchemaLibrary.builtin()
        for file in schemaFiles { try library.add(file: file) }
        return library
    }

    /// The detector for the weights at `path`: `--heads`, else the head count a `config.json`
    /// beside them gives (Hugging Face's or timm's), else what the layout stores or the
    /// standard table settles; never a guess.
    func detector(for path: String) throws -> LayoutDetector {
        LayoutDetector(library: try library(), heads: heads.map { Sourced($0, .given) } ?? SourceConfig.find(for: path)?.heads)
    }

    /// The head count, activation and epsilon of the model `match` found in `path`, each with
    /// its origin; an error when a head count given from outside the tensors contradicts the
    /// one they store.
    func values(for match: LayoutMatch, path: String) throws -> ModelValues {
        if let contradicted = match.contradictedHeads, let stored = match.heads {
            let said = contradicted.origin == .given ? "--heads \(contradicted.value)" : "\(contradicted.origin.description) says \(contradicted.value) heads, which"
            throw CheckpointError(.invalidRequest, file: path,
                "\(said) contradicts the \(stored) heads the \(match.schema.name) layout stores in the weights",
                fix: contradicted.origin == .given ? "Drop --heads, or pass --heads \(stored)" : "Correct or remove the config file, or pass --heads \(stored)")
        }
        let config = SourceConfig.find(for: path)
        if let config { try Self.requireSameModel(config, match, path: path) }
        return ModelValues.resolve(match, config: config, activation: activation, layerNormEpsilon: layerNormEpsilon)
    }

    /// A config.json that describes another model (another width or depth than the weights')
    /// is no evidence for these weights: an error, not a source of head counts.
    static func requireSameModel(_ config: SourceConfig, _ match: LayoutMatch, path: String) throws {
        let width = match.canonicalTensors.first { $0.name == "embedding/kernel" }?.shape.last
        for (stated, actual, what) in [(config.width, width, "wide"), (config.depth, match.depth, "blocks deep")] {
            guard let stated, let actual, stated.value != actual else { continue }
            throw CheckpointError(.invalidRequest, file: path,
                "\(stated.origin.basis) describes a model \(stated.value) \(what), but the weights are \(actual) \(what): it is another model's config",
                fix: "Correct or move the config file, or pass --heads (and --activation, --layer-norm-eps) for these weights")
        }
    }
}
