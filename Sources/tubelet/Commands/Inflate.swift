import ArgumentParser
import FoundationEssentials
import Porting
import TensorIO

/// `tubelet inflate SRC -o OUT --model M`: an image ViT becomes a ready-to-train ViViT.
struct Inflate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inflate",
        abstract: "Inflate an image ViT checkpoint into a ViViT (Models 1-4, as scenic initialises one) or a TimeSformer.",
        discussion: """
            Examples:
              tubelet inflate ViT-B_16.npz -o vivit.npz --model 1 --classes 400
              tubelet inflate vit-base/ -o vivit-hf --format hf --model 1 --frames 16
              tubelet inflate vit.pth -o ts-hf --format hf --model timesformer --heads 12

            The source may be any readable format and any known layout. Every output tensor is \
            accounted for in the report (copied, inflated, tiled/resized, initialised with its \
            initialiser and seed), and every input tensor left out is listed with the reason. \
            --dry-run prints the plan, parameters, tokens and compute without writing.

            --model timesformer writes Hugging Face's TimeSformer (divided space-time \
            attention), initialised as its authors do: the ViT's weights, temporal attention \
            copied from the spatial one, zero time embeddings and zero temporal_dense, so a \
            clip of one repeated image gives the ViT's features. It is written as an hf \
            directory, or as safetensors or pth under the same names.

            --format hf of Model 1 writes VivitForVideoClassification with --classes, the \
            headless VivitModel without.
            """
    )

    @Argument(help: "The image ViT checkpoint.", completion: .file())
    var source: String

    @Option(name: [.short, .customLong("output")], help: "The checkpoint to write (a directory for --format hf).")
    var output: String?

    @Option(help: "The video model: spacetime (1), factorised-encoder (2), factorised-self-attention (3), factorised-dot-product (4), timesformer. The numbers and scenic's names (factorized_encoder …) work too.",
            transform: Spellings.model)
    var model: VideoModel

    @Option(parsing: .unconditional, help: "Frames per clip.")
    var frames = 32

    @Option(help: "Tubelet size TxHxW (default 2xPxP, P the ViT's patch; TimeSformer: 1xPxP).")
    var tubelet: Checked<TubeletSize>?

    @Option(name: .customLong("image-size"), help: "Input size, N or HxW (default the ViT's).")
    var imageSize: Checked<ImageSize>?

    @Option(name: .customLong("kernel-init"), help: "Tubelet kernel from the 2-D patch kernel: central (scenic's default), average, arp.")
    var kernelInit: KernelInflation?

    @Option(help: "Positional embeddings: tile, resize, resize-tile (default: tile, or a resize when --image-size changes the grid).")
    var posemb: PositionalEmbeddingMethod?

    @Option(name: .customLong("temporal-layers"), help: "Model 2: temporal transformer depth (default 4).")
    var temporalLayers: Int?

    @Option(name: .customLong("temporal-attention"), help: "Model 3 and TimeSformer: temporal attention from a copy of the spatial one (scenic, the TimeSformer authors) or zero (the ViViT paper).")
    var temporalAttention: TemporalAttentionInit?

    @Option(help: "Classes of the new zero classifier (output_projection); none without it.")
    var classes: Int?

    @Option(help: "token or gap (average pooling); default the ViT's for Models 1-2, gap for Models 3-4.")
    var classifier: ViTArchitecture.Classifier?

    @Flag(name: .customLong("keep-pre-logits"), help: "Keep the ViT's pre_logits layer (scenic drops it).")
    var keepPreLogits = false

    @Flag(name: .customLong("copy-spatial-cls"), help: "Model 2: copy the ViT's cls into cls_SpatialTransformer (scenic leaves it zero).")
    var copySpatialClassToken = false

    @Option(name: .customLong("image-mean"), help: "--format hf (Model 1 or TimeSformer): the ViT's input mean per channel, R,G,B, for preprocessor_config.json (default: from a preprocessor_config.json or timm config.json beside the weights).")
    var imageMean: ChannelValues?

    @Option(name: .customLong("image-std"), help: "--format hf (Model 1 or TimeSformer): the ViT's input standard deviation per channel, R,G,B (with --image-mean).")
    var imageStd: ChannelValues?

    @Option(help: "Output format: hdf5, npz, hf, safetensors, msgpack, pth (default: from OUT's extension).",
            transform: Spellings.inflationFormat)
    var format: Inflation.Format?

    @Option(help: "Cast every output tensor to this dtype: float16, bfloat16, float32 (the default), float64 (also fp16, bf16…).",
            transform: Spellings.dtype)
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

    @OptionGroup var progressOptions: ProgressOptionGroup

    @OptionGroup var layouts: LayoutOptionGroup

    @OptionGroup var verbosity: VerbosityOptionGroup

    @OptionGroup var sandbox: SandboxOptionGroup

    @OptionGroup(title: "Reading untrusted input") var reading: ReadOptionGroup

    func validate() throws {
        if output == nil && !dryRun { throw ValidationError("name the output with -o OUT (or pass --dry-run)") }
        _ = try tubelet?.value()
        _ = try imageSize?.value()
        if let invalid = try options().invalidOption { throw ValidationError(CommandLineNames.render(invalid)) }
        if let output, format == .hf, let kind = CheckpointFormat.forExtension(of: output) {
            throw ValidationError("--format hf writes a directory, but '\(output)' has the extension of a \(kind == .pytorch ? "pth" : kind.rawValue) file; name the directory without one")
        }
        if let output { _ = try outputFormat(output) }
        try layouts.requireLayout(from, option: "--from")
        try validateModelOptions()
        if model == .timesformer { try validateTimeSformer() }
        if (imageMean == nil) != (imageStd == nil) {
            throw ValidationError("--image-mean and --image-std go together")
        }
        if imageMean != nil, !writesPreprocessor || (try? outputFormat(output ?? "")) != .hf {
            throw ValidationError("--image-mean and --image-std apply to --format hf of --model spacetime or timesformer (its preprocessor_config.json)")
        }
        if let imageMean, let imageStd, imageMean.values.count != imageStd.values.count {
            throw ValidationError("--image-mean has \(imageMean.values.count) values but --image-std \(imageStd.values.count)")
        }
    }

    /// Whether a Hugging Face directory of the model has an image processor: Model 1's
    /// (VivitImageProcessor) and TimeSformer's.
    var writesPreprocessor: Bool { model == .spacetime || model == .timesformer }

    /// The ViT's input normalisation: the options, or the files beside the weights, or nothing.
    func normalisation() -> InputNormalisation? {
        if let imageMean, let imageStd { return InputNormalisation(mean: imageMean.values, std: imageStd.values, origin: .given) }
        return InputNormalisation.find(for: source)
    }

    /// Options of one model given for another are mistakes (the user meant something the
    /// run would not do), not silently ignored.
    func validateModelOptions() throws {
        if temporalLayers != nil && model != .factorisedEncoder {
            throw ValidationError("--temporal-layers sizes Model 2's temporal transformer (factorised-encoder); --model \(model.rawValue) has none")
        }
        if copySpatialClassToken && model != .factorisedEncoder {
            throw ValidationError("--copy-spatial-cls sets Model 2's spatial CLS token (factorised-encoder); --model \(model.rawValue) has none")
        }
        if temporalAttention != nil && model != .factorisedSelfAttention && model != .timesformer {
            throw ValidationError("--temporal-attention sets Model 3's (factorised-self-attention) or TimeSformer's temporal attention; --model \(model.rawValue) has none of its own")
        }
    }

    /// TimeSformer has no tubelet kernel, temporal transformer or representation layer, and
    /// exists in PyTorch only: options for those are mistakes, not silently ignored.
    func validateTimeSformer() throws {
        let inapplicable = [
            (kernelInit != nil, "--kernel-init (TimeSformer reuses the 2-D patch kernel on every frame)"),
            (keepPreLogits, "--keep-pre-logits (TimeSformer has no representation layer)"),
        ]
        if let (_, option) = inapplicable.first(where: \.0) {
            throw ValidationError("\(option) does not apply to --model timesformer")
        }
        if let output, let chosen = try? outputFormat(output), ![.hf, .safetensors, .pth].contains(chosen) {
            throw ValidationError("TimeSformer is a PyTorch model (Hugging Face's TimesformerModel); write it as hf, safetensors or pth, not \(chosen.rawValue)")
        }
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
        options.kernelInflation = kernelInit ?? .central
        options.positionalEmbedding = posemb
        if let temporalLayers { options.temporalLayers = temporalLayers }
        options.temporalAttention = temporalAttention ?? .copy
        options.classes = classes
        options.keepPreLogits = keepPreLogits
        options.copySpatialClassToken = copySpatialClassToken
        options.seed = seed
        options.classifier = classifier
        return options
    }

    func run() throws {
        verbosity.apply()
        try sandbox.enter()
        try checkOutputs()
        let input = try Checkpoint.open(source, options: reading.readOptions)
        let vit = try layouts.pipeline(reading).recognise(input, path: source, layout: from)
        let inflation = try vit.inflate(options())
        // What the output cannot hold (a Hugging Face directory: Model 1, a CLS token,
        // --classes, square images) is refused before anything is printed or written.
        let normalisation = writesPreprocessor ? normalisation() : nil
        let prepared = try output.map { try inflation.output(outputFormat($0), dtype: dtype, normalisation: normalisation) }
        printNote("\(source): \(vit.match.layoutDescription) — \(inflation.architecture.summary)")
        for note in inflation.notes(for: (try? outputFormat(output ?? "")) ?? .npz) { printNote(CommandLineNames.render(note.text)) }
        if writesPreprocessor, prepared?.format == .hf {
            if let normalisation {
                printNote("preprocessor_config.json: mean \(normalisation.mean), std \(normalisation.std) (\(normalisation.origin.basis))")
            } else {
                printNote("note: no preprocessor_config.json: the ViT's input normalisation is not stored in its weights and no preprocessor_config.json or timm config.json beside them says it; pass --image-mean and --image-std (0.5,0.5,0.5 for Google's ViTs, 0.485,0.456,0.406 and 0.229,0.224,0.225 for ImageNet-normalised ones) to write one")
            }
        }
        if dryRun {
            print(DryRunPlan(inflation.inflated, report: prepared?.report ?? inflation.report, verbose: verbosity.verbose).text, terminator: "")
            return
        }
        guard let output, let prepared else { return }
        let format = prepared.format
        do {
            let bar = progressOptions.bar("inflate")
            defer { bar?.clear() }
            try prepared.write(to: output, overwrite: force, progress: bar?.handler)
        }
        // The report names each tensor as the written file does (canonical names beside).
        if let report {
            try writeReport(prepared.report.jsonText(naming: CommandLineNames.flag), to: report)
        }
        printNote(prepared.report.summary(naming: CommandLineNames.flag, verbose: verbosity.verbose))
        noteStaleTemporaries(beside: output)
        printNote("wrote \(output) (\(format.rawValue)): \(model.title), \(inflation.inflated.tensors.count) tensors")
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

extension ViTArchitecture.Classifier: ExpressibleByArgument {}
extension KernelInflation: ExpressibleByArgument {}
extension PositionalEmbeddingMethod: ExpressibleByArgument {}
extension TemporalAttentionInit: ExpressibleByArgument {}
