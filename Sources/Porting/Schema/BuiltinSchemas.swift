import FoundationEssentials
import TensorIO

/// The layouts compiled into Tubelet, from `Schemas/*.json` (see `Scripts/embed-schemas.sh`).
enum BuiltinSchemas {
    /// Decoded once; a built-in that fails to decode is a build defect, caught by the tests,
    /// so it is reported as an error rather than trusted.
    static func load() throws(CheckpointError) -> [LayoutSchema] {
        var schemas: [LayoutSchema] = []
        for (file, json) in sources {
            schemas.append(try LayoutSchema.decode(Data(json.utf8), source: "built-in schema \(file)"))
        }
        return schemas
    }
}
