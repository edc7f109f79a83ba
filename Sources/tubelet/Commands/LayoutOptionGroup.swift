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

    /// The model values given on the command line.
    var overrides: ModelOverrides {
        ModelOverrides(heads: heads, activation: activation, layerNormEpsilon: layerNormEpsilon)
    }

    func validate() throws {
        if let invalid = overrides.invalidOption { throw ValidationError(CommandLineNames.render(invalid)) }
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

    /// The pipeline these options and `reading` describe; the texts it writes into files name
    /// settings by their flags.
    func pipeline(_ reading: ReadOptionGroup) throws -> Pipeline {
        try Pipeline(library: library(), readOptions: reading.readOptions, overrides: overrides,
                     settingNames: CommandLineNames.flag)
    }
}
