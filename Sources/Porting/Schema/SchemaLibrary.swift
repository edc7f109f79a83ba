import FoundationEssentials
import TensorIO

/// The layouts Tubelet knows: the built-in ones plus any a user adds from a schema file.
public struct SchemaLibrary: Sendable {
    public private(set) var schemas: [LayoutSchema]

    /// The built-in layouts.
    public static func builtin() throws(CheckpointError) -> SchemaLibrary {
        SchemaLibrary(schemas: try BuiltinSchemas.load())
    }

    /// Adds the schema in the JSON file at `path`; a user schema replaces a built-in one of
    /// the same name.
    public mutating func add(file path: String) throws(CheckpointError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError(.cannotOpen, file: path, "cannot read the schema file")
        }
        let schema = try LayoutSchema.decode(data, source: path)
        schemas.removeAll { $0.name == schema.name }
        schemas.append(schema)
    }

    /// The schema called `name`.
    public func schema(named name: String) throws(CheckpointError) -> LayoutSchema {
        guard let schema = schemas.first(where: { $0.name == name }) else {
            let names = schemas.map(\.name).sorted()
            throw CheckpointError(.invalidRequest, file: name, "no layout of this name",
                fix: (NameSuggestion.nearest(to: name, among: names).map { "Did you mean '\($0)'? " } ?? "")
                    + "Known layouts: \(names.joined(separator: ", "))")
        }
        return schema
    }
}
