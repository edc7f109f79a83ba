import Foundation
import PackagePlugin

/// Compiles the package's top-level `Schemas/*.json` into the target it is applied to
/// (Porting), as Swift values built by `SchemaCompiler`: the built-in layouts are in the
/// binary, `Schemas/` stays the single source, and no generated file is committed.
///
/// Every `*.json` there is a layout except `schema.schema.json`, the JSON Schema of the
/// format, so a new layout needs no list edited. The files are the command's inputs: editing
/// one rebuilds. The folder is listed each time the build is planned, so an added or removed
/// file is picked up too.
@main
struct EmbedBuiltinSchemas: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let folder = context.package.directoryURL.appending(path: "Schemas")
        let schemas = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" && $0.lastPathComponent != "schema.schema.json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "BuiltinSchemas+Compiled.swift")
        // Rewritten by the tool while the folder holds files this plan does not list (see
        // SchemaCompiler); an input, so the command runs again at the next build.
        let unplanned = context.pluginWorkDirectoryURL.appending(path: "unplanned-schemas")
        if !FileManager.default.fileExists(atPath: unplanned.path) {
            try Data().write(to: unplanned)
        }
        return [
            .buildCommand(
                displayName: "Compiling \(schemas.count) built-in layout schemas from Schemas/",
                executable: try context.tool(named: "SchemaCompiler").url,
                arguments: [output.path, unplanned.path, folder.path] + schemas.map(\.path),
                // The folder too: adding or removing a file changes it, and the tool lists
                // the folder when it runs, whereas this plugin runs only when the build is
                // planned again.
                inputFiles: [folder, unplanned] + schemas,
                outputFiles: [output]
            ),
        ]
    }
}
