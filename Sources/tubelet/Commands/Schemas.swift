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
              tubelet schemas --schema my-layout.json

            Built-in layouts are compiled in; --schema FILE adds your own (format: Schemas/README.md).
            """
    )

    @Argument(help: "A layout to print in full.")
    var name: String?

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
        let rows = [["NAME", "PREFIXES", "TENSOR RULES", "DESCRIPTION"]] + library.schemas.sorted { $0.name < $1.name }.map { schema in
            [schema.name, schema.prefixOptions.map { $0.isEmpty ? "(none)" : $0 }.joined(separator: " "),
             String(schema.tensors.count), schema.title]
        }
        print(TextTable.render(rows, rightAligned: [2]), terminator: "")
    }
}
