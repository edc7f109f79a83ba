import TensorIO

/// The layouts compiled into Tubelet: `Schemas/*.json`, turned into Swift values at build
/// time by the `EmbedBuiltinSchemas` plugin (`compiled`), so a binary copied alone has them
/// and start-up decodes no JSON.
enum BuiltinSchemas {
    /// The compiled values, checked as a file from `--schema` is: a built-in that fails is a
    /// build defect, caught by the tests, so it is reported as an error rather than trusted.
    static func load() throws(CheckpointError) -> [LayoutSchema] {
        for (file, schema) in compiled {
            try schema.validate(source: "built-in schema \(file)")
        }
        return compiled.map(\.schema)
    }
}
