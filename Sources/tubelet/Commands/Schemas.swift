import ArgumentParser
import FoundationEssentials
import Porting

/// `tubelet schemas [NAME]`: the layouts Tubelet knows, or one of them in full.
struct Schemas: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schemas",
        abstract: "List the known checkpoint layouts, or print one as JSON.",
        discussion: """
            Examples:
              tubelet schemas
              tubelet schemas timm
              tubelet schemas --json
              tubelet schemas --schema my-layout.json

            Built-in layouts are compiled in; --schema FILE adds your own (format: Schemas/README.md).
            """
    )

    @Argument(help: "A layout to print in full.")
    var name: String?

    @Flag(help: "Write the list as one JSON document to stdout instead of a table (a layout NAME is always JSON).")
    var json = false

    @OptionGroup var layouts: LayoutOptionGroup

    func validate() throws {
        if layouts.heads != nil || layouts.activation != nil || layouts.layerNormEpsilon != nil {
            throw ValidationError("--heads, --activation and --layer-norm-eps describe a model; schemas lists layouts, which store none of them")
        }
        try layouts.requireLayout(name, option: "schemas")
    }

    func run() throws {
        let library = try layouts.library()
        if let name {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(try library.schema(named: name)), as: UTF8.self))
            return
        }
        let sorted = library.schemas.sorted { $0.name < $1.name }
        if json {
            print(try LayoutList(sorted).jsonText())
            return
        }
        let rows = [["NAME", "PREFIXES", "TENSOR RULES", "DESCRIPTION"]] + sorted.map { schema in
            [schema.name, schema.prefixOptions.map { $0.isEmpty ? "(none)" : $0 }.joined(separator: " "),
             String(schema.tensors.count), schema.title]
        }
        print(TextTable.render(rows, rightAligned: [2]), terminator: "")
    }
}

/// `schemas --json`: the ``DocumentHeader`` (`tubelet.layouts`) and `layouts`, each `name`,
/// `title`, `prefixes` (the prefixes tried, `""` for none), `tensor_rules` (how many) and
/// `hugging_face_class` (or null).
struct LayoutList: Encodable {
    struct Entry: Encodable {
        var name: String
        var title: String
        var prefixes: [String]
        var tensorRules: Int
        var huggingFaceClass: String?

        enum CodingKeys: String, CodingKey {
            case name, title, prefixes
            case tensorRules = "tensor_rules", huggingFaceClass = "hugging_face_class"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(title, forKey: .title)
            try container.encode(prefixes, forKey: .prefixes)
            try container.encode(tensorRules, forKey: .tensorRules)
            try container.encode(huggingFaceClass, forKey: .huggingFaceClass)
        }
    }

    var layouts: [Entry]

    init(_ schemas: [LayoutSchema]) {
        layouts = schemas.map { schema in
            Entry(name: schema.name, title: schema.title, prefixes: schema.prefixOptions, tensorRules: schema.tensors.count,
                  huggingFaceClass: schema.huggingFaceClass?.rawValue)
        }
    }

    func encode(to encoder: any Encoder) throws {
        try DocumentHeader.layouts.encode(to: encoder)
        enum Keys: String, CodingKey { case layouts }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(layouts, forKey: .layouts)
    }

    func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
