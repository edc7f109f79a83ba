import ArgumentParser
import FoundationEssentials
import Porting
import TensorIO

/// `tubelet inflate SRC -o OUT --model M`: an image ViT becomes a ready-to-train ViViT.
struct Inflate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inflate",
        abstract: "Inflate an image ViT checkpoint into a ViViT checkpoint (Models 1-4), as scenic initialises one.",
        discussion: """
            The source may be any readable format and any known layout. Every output tensor is \
            accounted for in the report (copied, inflated, tiled/resized, initialised with its \
            initialiser and seed), and every input tensor left out is listed with the reason. \
            --dry-run prints the plan, parameters, tokens and compute without writing.
            """
    )

    @Argument(help: "The image ViT checkpoint.", completion: .file())
    var source: String

    @Option(name: [.short, .customLong("output")], help: "The checkpoint to write (a directory for --format hf).")
    var output: String?

    @Option(help: "The ViViT model: spacetime (1), factorised-encoder (2), factorised-self-attention (3), factorised-dot-product (4).")
    var model: ViViTModel

    @Option(help: "Frames per clip.")
    var frames = 32

    @Option(help: "Tubelet size TxHxW (default 2xPxP, P the ViT's patch).")
    var tubelet: Checked<TubeletSize>?

    @Option(name: .customLong("image-size"), help: "Input size, N or HxW (default the ViT's).")
    var imageSize: Checked<ImageSize>?

    @Option(name: .customLong("kernel-init"), help: "Tubelet kernel from the 2-D patch kernel: central (scenic's default), average, arp.")
    var kernelInit: KernelInflation = .central

    @Option(help: "Positional embeddings: tile, resize, resize-tile (default: tile, or a resize when --image-size changes the grid).")
    var posemb: PositionalEmbeddingMethod?

    @Option(name: .customLong("temporal-layers"), help: "Model 2: temporal transformer depth.")
    var temporalLayers = 4

    @Option(name: .customLong("temporal-attention"), help: "Model 3: temporal attention from a copy of the spatial one (scenic) or zero (the paper).")
    var temporalAttention: TemporalAttentionInit = .copy

    @Option(help: "Classes of the new zero classifier (output_projection); none without it.")
    var classes: Int?

    @Option(help: "token or gap (average pooling); default the ViT's for Models 1-2, gap for Models 3-4.")
    var classifier: ViTArchitecture.Classifier?

    @Flag(name: .customLong("keep-pre-logits"), help: "Keep the ViT's pre_logits layer (scenic drops it).")
    var keepPreLogits = false

    @Flag(name: .customLong("copy-spatial-cls"), help: "Model 2: copy the ViT's cls into cls_SpatialTransformer (scenic leaves it zero).")
    var copySpatialClassToken = false

    @Option(help: "Output format (default: from OUT's extension).")
    var format: Inflation.Format?

    @Option(help: "Cast every floating-point output tensor to this dtype (default float32).")
    var dtype: DType?

    @Option(help: "Seed of every randomly initialised tensor; the same seed gives the same bytes.")
    var seed: UInt64 = 0

    @Option(help: "Write the provenance report as JSON to this file ('-': standard output).", completion: .file())
    var report: String?

    @Option(help: "The source's layout, when detection should not choose it.")
    var from: String?

    @Flag(name: .customLong("dry-run"), help: "Print the plan without writing anything.")
    var dryRun = false

    @Flag(help: "Replace OUT (and the report) if they exist.")
    var force = false

    @OptionGroup var reading: ReadOptionGroup

    @OptionGroup var progressOptions: ProgressOptionGroup

    @OptionGroup var layouts: LayoutOptionGroup

    @OptionGroup var sandbox: SandboxOptionGroup

    func validate() throws {
        if output == nil && !dryRun { throw ValidationError("name the output with -o OUT (or pass --dry-run)") }
        _ = try tubelet?.value()
        _ = try imageSize?.value()
        if let dtype, !dtype.isFloatingPoint { throw ValidationError("--dtype must be a floating-point dtype") }
        if let invalid = try options().invalidOption { throw ValidationError(CommandLineNames.render(invalid)) }
    }

    func options() throws -> InflationOptions {
        var options = InflationOptions(model: model)
        options.frames = frames
        if let tubelet = try tubelet?.value() {
            options.tubeletFrames = tubelet.frames
            options.tubeletHeight = tubelet.height
            options.tubeletWidth = tubelet.width
        }
        if let image = try imageSize?.value() {
            options.imageHeight = image.height
            options.imageWidth = image.width
        }
        options.kernelInflation = kernelInit
        options.positionalEmbedding = posemb
        options.temporalLayers = temporalLayers
        options.temporalAttention = temporalAttention
        options.classes = classes
        options.keepPreLogits = keepPreLogits
        options.copySpatialClassToken = copySpatialClassToken
        options.seed = seed
        options.classifier = classifier
        return options
    }

    func run() throws {
        try sandbox.enter()
        try checkOutputs()
        let input = try Checkpoint.open(source, options: reading.readOptions)
        let vit = try layouts.pipeline(reading).recognise(input, path: source, layout: from)
        let inflation = try vit.inflate(options())
        // What the output cannot hold (a Hugging Face directory: Model 1, a CLS token,
        // --classes, square images) is refused before anything is printed or written.
        let prepared = try output.map { try inflation.output(outputFormat($0), dtype: dtype) }
        printError("\(source): \(vit.match.layoutDescription) — \(inflation.architecture.summary)")
        for note in inflation.notes(for: (try? outputFormat(output ?? "")) ?? .npz) { printError(CommandLineNames.render(note.text)) }
        if dryRun {
            print(DryRunPlan(inflation.inflated).text, terminator: "")
            return
        }
        guard let output, let prepared else { return }
        let format = prepared.format
        do {
            let bar = progressOptions.bar("inflate")
            defer { bar?.clear() }
            try prepared.write(to: output, overwrite: force, progress: bar?.handler)
        }
        if let report {
            try writeReport(inflation.report.jsonText(naming: CommandLineNames.flag), to: report)
        }
        printError(inflation.report.summary(naming: CommandLineNames.flag))
        noteStaleTemporaries(beside: output)
        printError("wrote \(output) (\(format.rawValue)): ViViT Model \(model.number) (\(model.rawValue)), \(inflation.inflated.tensors.count) tensors")
    }

    func outputFormat(_ output: String) throws -> Inflation.Format {
        if let format { return format }
        guard let format = Inflation.Format(pathExtensionOf: output) else {
            throw ValidationError("cannot tell the output format from '\(output)'; pass --format (hdf5, npz, hf, safetensors, msgpack, pth)")
        }
        return format
    }

    /// Written like every output (temporary file, fsync, rename), so a crash leaves the
    /// previous report or the new one, and the input is never replaced.
    /// `-` writes it to standard output instead, where a stream of JSON makes sense.
    func writeReport(_ text: String, to path: String) throws {
        if path == "-" { return print(text) }
        try AtomicOutput.write(Array((text + "\n").utf8), to: path, overwrite: force, inputs: [source])
    }
}

extension ViViTModel: ExpressibleByArgument {}
extension Inflation.Format: ExpressibleByArgument {}
extension ViTArchitecture.Classifier: ExpressibleByArgument {}
extension KernelInflation: ExpressibleByArgument {}
extension PositionalEmbeddingMethod: ExpressibleByArgument {}
extension TemporalAttentionInit: ExpressibleByArgument {}
