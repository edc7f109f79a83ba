import Foundation

/// The build tool behind the `EmbedBuiltinSchemas` plugin: turns the layout schemas in
/// `Schemas/*.json` into Swift source that builds the same `LayoutSchema` values, so the
/// built-in layouts are part of the binary (a release binary copied alone still has them) and
/// no JSON is decoded when Tubelet starts.
///
///     SchemaCompiler OUTPUT.swift UNPLANNED SCHEMAS-FOLDER PLANNED.json…
///
/// Every `*.json` in the folder is a layout except `schema.schema.json`, the JSON Schema of
/// the format. The folder is listed here, when the command runs, so a file added to it is
/// compiled by the next build without a list to maintain. The build system, though, only
/// watches the files it was given when it planned the build (`PLANNED`) and the folder itself;
/// until it plans again, an in-place edit of a newer file would go unseen. So while the folder
/// holds other files than the planned ones, the tool rewrites `UNPLANNED`, another input of
/// its command, which makes the command run again at every build until the next plan.
///
/// It knows the schema format's keys and transform ops and refuses anything else with the
/// file and the key, so a mistake in a built-in schema fails the build rather than the first
/// run; `Schemas/README.md` describes the format. Porting's tests check that the compiled
/// values equal what `LayoutSchema.decode` makes of each file, so the two cannot drift apart.
@main
struct SchemaCompiler {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 4 else {
            FileHandle.standardError.write(Data("usage: SchemaCompiler OUTPUT.swift UNPLANNED SCHEMAS-FOLDER PLANNED.json…\n".utf8))
            exit(64)
        }
        let (output, unplanned, folder) = (arguments[1], arguments[2], URL(fileURLWithPath: arguments[3]))
        let planned = Set(arguments.dropFirst(4).map(fileName))
        let inputs: [String]
        do {
            inputs = try layoutFiles(in: folder).map(\.path)
        } catch {
            FileHandle.standardError.write(Data("error: cannot list \(folder.path): \(error)\n".utf8))
            exit(1)
        }
        var source = """
            // Generated at build time by SchemaCompiler (the EmbedBuiltinSchemas plugin) from
            // Schemas/*.json. Do not edit; edit the JSON files.

            extension BuiltinSchemas {
                /// Each built-in schema's file name and value, in file-name order.
                static let compiled: [(file: String, schema: LayoutSchema)] = [

            """
        do {
            for path in inputs {
                source += "        (\(literal(fileName(path))), \(try compile(path))),\n"
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
        source += "    ]\n}\n"
        do {
            // Rewritten only when it changes, so an unrelated build does not recompile Porting.
            if (try? String(contentsOfFile: output, encoding: .utf8)) != source {
                try source.write(toFile: output, atomically: true, encoding: .utf8)
            }
        } catch {
            FileHandle.standardError.write(Data("error: cannot write \(output): \(error)\n".utf8))
            exit(1)
        }
        let found = Set(inputs.map(fileName))
        if found != planned {
            let note = "not in the build plan: \(found.symmetricDifference(planned).sorted()) at \(Date())\n"
            _ = FileManager.default.createFile(atPath: unplanned, contents: Data(note.utf8))
        }
    }

    /// The layout files in `folder`, in name order.
    static func layoutFiles(in folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" && $0.lastPathComponent != "schema.schema.json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func fileName(_ path: String) -> String {
        URL(fileURLWithPath: path).lastPathComponent
    }

    /// A mistake in a schema file, named by file and key.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The Swift expression for the schema in the file at `path`.
    static func compile(_ path: String) throws -> String {
        let value: JSON
        do {
            value = try JSONDecoder().decode(JSON.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw Problem(description: "\(path): not valid JSON: \(error)")
        }
        let schema = try Object(value, at: "the top level", of: path)
        var arguments = ["name: \(literal(try schema.string("name")))", "title: \(literal(try schema.string("title")))"]
        if let activation = try schema.optionalString("activation") { arguments.append("activation: \(literal(activation))") }
        // The document header a `schemas NAME` output carries is read and ignored.
        _ = try schema.optionalString("document")
        _ = try schema.optionalNumber("format_version")
        _ = try schema.optionalString("tubelet_version")
        if let epsilon = try schema.optionalNumber(renamed: "layer_norm_eps", from: "layerNormEpsilon") { arguments.append("layerNormEpsilon: \(epsilon)") }
        if let modelClass = try schema.optionalString(renamed: "hugging_face_class", from: "huggingFaceClass") {
            // A class name Porting does not know decodes to nil here and fails the test that
            // compares every compiled schema with the decoded file.
            arguments.append("huggingFaceClass: HuggingFaceClass(rawValue: \(literal(modelClass)))")
        }
        if let prefixes = try schema.optionalStrings("prefixes") { arguments.append("prefixes: \(literal(prefixes))") }
        let rules = try schema.array("tensors").enumerated().map { index, rule in
            try compileRule(Object(rule, at: "tensors[\(index)]", of: path))
        }
        arguments.append("tensors: [\n" + rules.map { "                \($0),\n" }.joined() + "            ]")
        if let layers = try schema.optionalStrings(renamed: "keras_layers", from: "kerasLayers") { arguments.append("kerasLayers: \(literal(layers))") }
        try schema.refuseOtherKeys()
        return "LayoutSchema(\n            " + arguments.joined(separator: ",\n            ") + ")"
    }

    static func compileRule(_ rule: Object) throws -> String {
        var arguments = ["name: \(literal(try rule.names("name")))", "canonical: \(literal(try rule.names("canonical")))"]
        if let transform = try rule.optionalArray("transform") {
            let steps = try transform.enumerated().map { index, step in
                try compileStep(Object(step, at: "\(rule.location).transform[\(index)]", of: rule.file))
            }
            arguments.append("transform: [\(steps.joined(separator: ", "))]")
        }
        if try rule.optionalBool("optional") == true { arguments.append("optional: true") }
        if try rule.optionalBool("stacked") == true { arguments.append("stacked: true") }
        try rule.refuseOtherKeys()
        return "TensorRule(" + arguments.joined(separator: ", ") + ")"
    }

    /// The `TransformStep` case of one step (`{"op": "split", "axis": 0, "parts": 3}`).
    static func compileStep(_ step: Object) throws -> String {
        let op = try step.string("op")
        let swift: String
        switch op {
        case "permute": swift = ".permute(\(try step.integers("axes")))"
        case "transpose": swift = ".permute([1, 0])"
        case "split": swift = ".split(axis: \(try step.integer("axis")), parts: \(try step.integer("parts")))"
        case "concat", "splitHeads", "mergeHeads", "expandDims", "squeeze": swift = ".\(op)(axis: \(try step.integer("axis")))"
        case "classPosition", "foldClassPosition": swift = ".\(op)"
        default: throw step.problem("unknown transform op '\(op)'")
        }
        try step.refuseOtherKeys()
        return swift
    }

    /// A Swift string literal with exactly `text`'s characters.
    static func literal(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case " "..."~": result.unicodeScalars.append(scalar)
            default: result += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return result + "\""
    }

    static func literal(_ texts: [String]) -> String {
        "[" + texts.map(literal).joined(separator: ", ") + "]"
    }
}

/// A JSON value as the schema files hold it.
enum JSON: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSON]), object([String: JSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSON].self)) }
    }
}

/// One JSON object of a schema file, read key by key; the keys read are remembered, so any
/// other key can be refused.
final class Object {
    let members: [String: JSON]
    let location: String
    let file: String
    private var read: Set<String> = []

    init(_ value: JSON, at location: String, of file: String) throws {
        guard case .object(let members) = value else {
            throw SchemaCompiler.Problem(description: "\(file): \(location) must be an object")
        }
        (self.members, self.location, self.file) = (members, location, file)
    }

    func problem(_ text: String) -> SchemaCompiler.Problem {
        SchemaCompiler.Problem(description: "\(file): \(location): \(text)")
    }


    private func value(_ key: String) -> JSON? {
        read.insert(key)
        if case .null? = members[key] { return nil }
        return members[key]
    }

    private func required(_ key: String) throws -> JSON {
        guard let value = value(key) else { throw problem("missing key '\(key)'") }
        return value
    }

    func string(_ key: String) throws -> String {
        guard case .string(let text) = try required(key) else { throw problem("'\(key)' must be a string") }
        return text
    }

    func optionalString(_ key: String) throws -> String? {
        guard value(key) != nil else { return nil }
        return try string(key)
    }

    func optionalNumber(_ key: String) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value else { throw problem("'\(key)' must be a number") }
        return number
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw problem("'\(key)' must be true or false") }
        return flag
    }

    func array(_ key: String) throws -> [JSON] {
        guard case .array(let items) = try required(key) else { throw problem("'\(key)' must be a list") }
        return items
    }

    func optionalArray(_ key: String) throws -> [JSON]? {
        guard value(key) != nil else { return nil }
        return try array(key)
    }

    func optionalStrings(_ key: String) throws -> [String]? {
        guard value(key) != nil else { return nil }
        return try array(key).map { item in
            guard case .string(let text) = item else { throw problem("'\(key)' must be a list of strings") }
            return text
        }
    }

    /// A key renamed to snake_case whose old camelCase spelling is still read (as
    /// `LayoutSchema` reads it); both at once is refused.
    private func either(_ key: String, _ old: String) throws -> String {
        if members[key] != nil && members[old] != nil { throw problem("both '\(key)' and its old spelling '\(old)' are given; keep '\(key)'") }
        read.insert(old)
        return members[old] != nil ? old : key
    }

    func optionalNumber(renamed key: String, from old: String) throws -> Double? {
        try optionalNumber(either(key, old))
    }

    func optionalString(renamed key: String, from old: String) throws -> String? {
        try optionalString(either(key, old))
    }

    func optionalStrings(renamed key: String, from old: String) throws -> [String]? {
        try optionalStrings(either(key, old))
    }

    /// A name or a list of names.
    func names(_ key: String) throws -> [String] {
        if case .string(let single) = try required(key) { return [single] }
        guard let list = try optionalStrings(key) else { throw problem("missing key '\(key)'") }
        return list
    }

    func integer(_ key: String) throws -> Int {
        guard case .number(let number) = try required(key), let integer = Int(exactly: number) else {
            throw problem("'\(key)' must be an integer")
        }
        return integer
    }

    func integers(_ key: String) throws -> [Int] {
        try array(key).map { item in
            guard case .number(let number) = item, let integer = Int(exactly: number) else {
                throw problem("'\(key)' must be a list of integers")
            }
            return integer
        }
    }

    /// A key the compiler does not know would be dropped silently; it is refused instead, so
    /// a new schema field is taught to this tool (and to `LayoutSchema`) before it is used.
    func refuseOtherKeys() throws {
        let unknown = Set(members.keys).subtracting(read).sorted()
        guard unknown.isEmpty else {
            throw problem("unknown key(s) \(unknown.map { "'\($0)'" }.joined(separator: ", ")); "
                + "a new schema field needs teaching to Sources/SchemaCompiler as well as to LayoutSchema")
        }
    }
}
