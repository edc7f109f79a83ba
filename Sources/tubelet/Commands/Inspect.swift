import ArgumentParser
import FoundationEssentials
import Porting
import TensorIO

/// `tubelet inspect FILE`: what is in a weight file, without reading tensor data unless
/// `--stats` asks.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List the tensors of a weight file: name, dtype, shape, parameters, bytes.",
        discussion: """
            Examples:
              tubelet inspect Checkpoints/ViT-tiny_16.npz
              tubelet inspect vit-base-patch16-224/ --json
              tubelet inspect model.safetensors --stats --filter '*/query/*'

            Reads headers only, unless --stats is given. --json writes one JSON document to \
            stdout (see the README for its fields).
            """
    )

    @Argument(help: "The weight file to inspect.", completion: .file())
    var file: String

    @Flag(help: "Write one JSON document to stdout instead of a table.")
    var json = false

    @Flag(help: "Read every tensor and report min, max, mean, std and NaN/Inf counts.")
    var stats = false

    @Flag(name: [.short, .long], help: "Show every metadata entry (up to 2,000 characters each), not the first \(InspectReport.metadataShown).")
    var verbose = false

    @Option(help: "Only tensors whose name matches this shell glob ('*' also matches '/').")
    var filter: String?

    @OptionGroup var progressOptions: ProgressOptionGroup

    @OptionGroup var layouts: LayoutOptionGroup

    @OptionGroup var sandbox: SandboxOptionGroup

    @OptionGroup(title: "Reading untrusted input") var reading: ReadOptionGroup

    func run() throws {
        try sandbox.enter()
        let source = try Checkpoint.open(file, options: reading.readOptions)
        let selected = source.tensors.filter { info in filter.map { Glob.matches($0, info.name) } ?? true }
        if let filter, selected.isEmpty, !source.tensors.isEmpty {
            // The usual slip: a word where the glob must match the whole name.
            printError("note: no tensor name matches '\(filter)'; the glob matches whole names ('*' also matches '/')"
                       + (filter.contains("*") ? "" : ", so try '*\(filter)*'"))
        }
        var rows: [InspectReport.TensorRow] = []
        let bar = stats ? progressOptions.bar("stats", json: json) : nil
        defer { bar?.clear() }
        let total = selected.reduce(0) { $0 + $1.byteCount }
        var done = 0
        for (index, info) in selected.enumerated() {
            var row = InspectReport.TensorRow(info)
            if stats {
                bar?.update(TensorProgress(bytesDone: done, bytesTotal: total, tensorsDone: index, tensorsTotal: selected.count))
                row.stats = .init(try TensorStatistics(of: source.read(info.name)))
                done += info.byteCount
            }
            rows.append(row)
        }
        bar?.update(TensorProgress(bytesDone: total, bytesTotal: total, tensorsDone: selected.count, tensorsTotal: selected.count))
        let report = InspectReport(
            file: file, format: source.format.rawValue, filter: filter, metadata: source.metadata,
            tensors: rows,
            layout: try LayoutReport.describe(source, path: file, pipeline: layouts.pipeline(reading)),
            totals: .init(
                tensors: rows.count,
                parameters: rows.reduce(0) { $0 + $1.parameters },
                bytes: rows.reduce(0) { $0 + $1.bytes }))
        if json {
            print(try report.jsonText())
        } else {
            print(report.table(showStats: stats, verbose: verbose), terminator: "")
        }
    }
}
