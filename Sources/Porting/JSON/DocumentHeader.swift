/// The three fields that open every JSON document Tubelet writes, so a reader can tell what a
/// document is and which version of its format it follows before reading the rest:
/// `"document"` (what it is: `tubelet.inspect`), `"format_version"` (an integer, raised when a
/// field is renamed or removed or changes meaning; new fields do not raise it) and
/// `"tubelet_version"` (the Tubelet that wrote it).
///
/// Every document uses snake_case keys. Each format is published as a JSON Schema in
/// `Docs/json-schema/DOCUMENT.schema.json`, which the tests validate real outputs against.
/// (`document` rather than `format`: `inspect` already names the file's format `format`.)
public struct DocumentHeader: Encodable, Sendable, Equatable {
    /// The Tubelet release, as `tubelet --version` prints it.
    public static let tubeletVersion = "0.1.0"

    /// What the document is, `tubelet.` and its kind.
    public let document: String
    public let formatVersion: Int

    public init(document: String, formatVersion: Int) {
        self.document = document
        self.formatVersion = formatVersion
    }

    /// `inspect --json`.
    public static let inspect = DocumentHeader(document: "tubelet.inspect", formatVersion: 1)
    /// `diff --json`.
    public static let diff = DocumentHeader(document: "tubelet.diff", formatVersion: 1)
    /// An inflation's provenance report (`inflate --report`, HDF5's `tubelet.report` attribute).
    public static let report = DocumentHeader(document: "tubelet.report", formatVersion: 1)
    /// An inflated ViViT's configuration, the `tubelet.config` metadata of its file.
    public static let config = DocumentHeader(document: "tubelet.config", formatVersion: 1)
    /// What a conversion left out on purpose, the `tubelet.excluded` metadata of its output.
    public static let excluded = DocumentHeader(document: "tubelet.excluded", formatVersion: 1)
    /// One layout schema as `schemas NAME` prints it (a `--schema` file may carry the header).
    public static let layout = DocumentHeader(document: "tubelet.layout", formatVersion: 1)
    /// The list of layouts, `schemas --json`.
    public static let layouts = DocumentHeader(document: "tubelet.layouts", formatVersion: 1)

    enum CodingKeys: String, CodingKey {
        case document
        case formatVersion = "format_version"
        case tubeletVersion = "tubelet_version"
    }

    /// Adds the three fields to the object `encoder` is writing: a document's `encode(to:)`
    /// calls this first, then writes its own fields into the same object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(document, forKey: .document)
        try container.encode(formatVersion, forKey: .formatVersion)
        try container.encode(Self.tubeletVersion, forKey: .tubeletVersion)
    }

    /// The fields as JSON values, for documents built as ``JSONLiteral`` objects.
    var literalFields: [String: JSONLiteral] {
        ["document": .string(document), "format_version": .integer(formatVersion), "tubelet_version": .string(Self.tubeletVersion)]
    }
}
