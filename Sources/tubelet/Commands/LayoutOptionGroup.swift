import ArgumentParser
import Porting
import TensorIO

/// Options that change how layouts are recognised, shared by every command that looks at them.
struct LayoutOptionGroup: ParsableArguments {
    @Option(name: .customLong("schema"), help: ArgumentHelp(
        "A layout schema JSON file to use besides the built-in ones (repeatable).", valueName: "FILE"),
            completion: .file(extensions: ["json"]))
    var schemaFiles: [String] = []

    @Option(help: "Attention heads, for layouts that store attention as [D, D] and do not say (default: width / 64).")
    var heads: Int?

    func validate() throws {
        if let heads, heads <= 0 { throw ValidationError("--heads must be positive") }
    }

    /// The built-in layouts plus the user's.
    func library() throws -> SchemaLibrary {
        var library = try SchemaLibrary.builtin()
        for file in schemaFiles { try library.add(file: file) }
        return library
    }

    /// The detector for the weights at `path`: `--heads`, else the head count a Hugging Face
    /// `config.json` beside them gives, else the layout's own or the width / 64 default.
    func detector(for path: String) throws -> LayoutDetector {
        LayoutDetector(library: try library(), heads: heads ?? SourceConfig.find(for: path)?.heads)
    }
}
