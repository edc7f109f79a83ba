import ArgumentParser
import Porting
import TensorIO

/// `tubelet convert SRC OUT`: any readable format to any writable one.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a weight file to another format, keeping names, dtypes and metadata.",
        discussion: """
            Examples:
              tubelet convert ViT-B_16.npz ViT-B_16.safetensors
              tubelet convert vit.pth vit-hf --to hf-vit-classifier --format hf
              tubelet convert vivit_kinetics.msgpack vivit-hf --format hf --frames 32 --image-size 224
              tubelet convert ViT-L_16.npz shards --max-shard-size 2GB

            The output format follows OUT's extension unless --format names it. The output is \
            written to a temporary file and renamed into place when complete; an existing OUT \
            is replaced only with --force. With --max-shard-size, OUT is a directory of \
            safetensors shards and model.safetensors.index.json, as Hugging Face writes them. \
            SRC may be a file, a shard index or a Hugging Face model directory. --format hf \
            writes a Hugging Face model directory OUT (config.json + model.safetensors) of a \
            ViT in the layout --to names (hf-vit: ViTModel, hf-vit-classifier: \
            ViTForImageClassification, and their -v5 forms in transformers 5's own names), or \
            of a ViViT Model 1 (hf-vivit: VivitModel, hf-vivit-classifier: \
            VivitForVideoClassification, the default for a ViViT with a classifier; scenic's \
            Model 1 stores no clip, so --frames or --image-size give it when no config.json \
            beside the weights does, and --image-mean/--image-std, or a \
            preprocessor_config.json beside them, add a preprocessor_config.json); --to one of \
            those with an OUT that has no file extension does the same.
            """
    )

    @Argument(help: "The weight file to read.", completion: .file())
    var source: String

    @Argument(help: "The file to write.", completion: .file())
    var output: String

    /// What `--format` takes: a writable file format, or `hf`, a Hugging Face model directory.
    enum OutputFormat: Equatable {
        case file(CheckpointFormat)
        case huggingFace

        /// The spellings `inflate --format` takes too (``Spellings/formats``).
        static func parse(_ text: String) throws -> OutputFormat {
            switch try Spellings.parse(text, what: "an output format", Spellings.formats) {
            case "hf": .huggingFace
            case "pth": .file(.pytorch)
            case let name: .file(CheckpointFormat(rawValue: name) ?? .npz)
            }
        }
    }

    @Option(help: "Output format: hdf5, npz, npy, safetensors, msgpack, pth, or hf (a Hugging Face model directory); default from OUT's extension.",
            transform: OutputFormat.parse)
    var format: OutputFormat?

    @Option(help: "Cast every floating-point tensor to this dtype: float16, bfloat16, float32, float64 (also fp16, bf16…).",
            transform: Spellings.dtype)
    var dtype: DType?

    @Option(help: "Compression: 'none' (the default) or 'deflate[:LEVEL]' (LEVEL 1-9, default 6), also spelled 'gzip[:LEVEL]'. npz: deflated members; HDF5: chunked gzip datasets.")
    var compress = Checked<CompressionOption>(argument: "none")

    @Option(name: .customLong("max-shard-size"),
            help: "Write a Hugging Face sharded safetensors directory OUT with shards of at most this size (5GB, 500MB, 2GiB or bytes).")
    var maxShardSize: Checked<ByteSize>?

    @Flag(help: "Replace OUT if it exists.")
    var force = false

    @Option(help: "Rewrite names and layouts into this layout (see 'tubelet schemas'), e.g. timm or vision_transformer.")
    var to: String?

    @Option(help: "The source's layout, when detection should not choose it.")
    var from: String?

    @Option(name: .customLong("exclude"), help: ArgumentHelp(
        "Leave out the tensors whose name matches this glob, canonical ('head/*') or the file's own ('head.*'); repeatable. What is left out is printed and recorded in the output's metadata (tubelet.excluded).",
        valueName: "GLOB"))
    var excludePatterns: [String] = []

    @Flag(name: .customLong("drop-head"), help: "With --to: leave out the image classifier, and pre_logits where the target layout has no place for it (a backbone layout such as keras-hub-vit); recorded like --exclude.")
    var dropHead = false

    @Option(help: "--format hf of a ViViT: the frames of its clip, when no config.json beside the weights says (scenic's Model 1 stores only frames × patches).")
    var frames: Int?

    @Option(name: .customLong("image-size"), help: "--format hf of a ViViT: the (square) frame size in pixels, when no config.json beside the weights says.")
    var imageSize: Int?

    @Option(name: .customLong("image-mean"), help: "--format hf of a ViViT: the input mean per channel, R,G,B, for preprocessor_config.json (default: from a preprocessor_config.json or timm config.json beside the weights).")
    var imageMean: ChannelValues?

    @Option(name: .customLong("image-std"), help: "--format hf of a ViViT: the input standard deviation per channel, R,G,B (with --image-mean).")
    var imageStd: ChannelValues?

    @OptionGroup var progressOptions: ProgressOptionGroup

    @OptionGroup var layouts: LayoutOptionGroup

    @OptionGroup var verbosity: VerbosityOptionGroup

    @OptionGroup var sandbox: SandboxOptionGroup

    @OptionGroup(title: "Reading untrusted input") var reading: ReadOptionGroup

    func validate() throws {
        let compression = try compress.value().compression
        let sharded = try maxShardSize?.value() != nil
        if !writesModelDirectory {
            let fileFormat: CheckpointFormat? = if case .file(let chosen)? = format { chosen } else { nil }
            guard let written = fileFormat ?? CheckpointFormat.forExtension(of: output) ?? (sharded ? .safetensors : nil) else {
                throw ValidationError("cannot tell the output format from '\(output)'; pass --format (\(Spellings.formats.map(\.shown).joined(separator: ", ")))")
            }
            if sharded, written != .safetensors {
                throw ValidationError("--max-shard-size splits safetensors output only, not \(written.rawValue)")
            }
            if compression != .stored, written != .npz, written != .hdf5 {
                throw ValidationError("--compress applies to npz and hdf5 output; \(written == .pytorch ? "pth" : written.rawValue) is written uncompressed")
            }
        } else if case .huggingFace? = format, let kind = CheckpointFormat.forExtension(of: output) {
            throw ValidationError("--format hf writes a directory, but '\(output)' has the extension of a \(kind == .pytorch ? "pth" : kind.rawValue) file; name the directory without one")
        }
        try layouts.requireLayout(to, option: "--to")
        try layouts.requireLayout(from, option: "--from")
        if from != nil && to == nil {
            throw ValidationError("--from only applies with --to")
        }
        if to == nil && (layouts.heads != nil || layouts.activation != nil || layouts.layerNormEpsilon != nil) {
            throw ValidationError("--heads, --activation and --layer-norm-eps only apply with --to (a conversion that keeps the file's names does not use them)")
        }
        if dropHead && to == nil {
            throw ValidationError("--drop-head needs --to (the layout tells which tensors are the head); without --to, use --exclude with the file's names")
        }
        let videoOptions = frames != nil || imageSize != nil || imageMean != nil || imageStd != nil
        if let frames, frames <= 0 { throw ValidationError("--frames must be positive") }
        if let imageSize, imageSize <= 0 { throw ValidationError("--image-size must be positive") }
        if (imageMean == nil) != (imageStd == nil) { throw ValidationError("--image-mean and --image-std go together") }
        if let imageMean, let imageStd, imageMean.values.count != imageStd.values.count {
            throw ValidationError("--image-mean has \(imageMean.values.count) values but --image-std \(imageStd.values.count)")
        }
        if videoOptions, !writesModelDirectory || (to != nil && (try? layouts.library()).flatMap({ Self.huggingFaceClass(of: to, in: $0) })?.isViViT != true) {
            throw ValidationError("--frames, --image-size, --image-mean and --image-std apply to --format hf of a ViViT (its config.json and preprocessor_config.json)")
        }
        if writesModelDirectory {
            // Layouts that cannot be loaded (a bad --schema file) are reported by run(); without
            // --to, run() chooses the ViViT class from the source or says this.
            if to != nil, let library = try? layouts.library(), Self.huggingFaceClass(of: to, in: library) == nil {
                throw ValidationError(Self.huggingFaceTargets)
            }
            guard maxShardSize == nil else {
                throw ValidationError("--format hf writes one model.safetensors beside config.json; drop --max-shard-size")
            }
            guard compression == .stored else {
                throw ValidationError("--format hf writes safetensors, which are not compressed; drop --compress")
            }
        }
    }

    /// The transformers ViT or ViViT class the layout `name` is loaded by, if its schema names one.
    static func huggingFaceClass(of name: String?, in library: SchemaLibrary) -> HuggingFaceClass? {
        guard let name, let modelClass = try? library.schema(named: name).huggingFaceClass,
              modelClass.isImageViT || modelClass.isViViT else { return nil }
        return modelClass
    }

    static let huggingFaceTargets = "--format hf writes a Hugging Face ViT or ViViT directory: pass --to hf-vit (ViTModel), hf-vit-classifier (ViTForImageClassification), hf-vivit (VivitModel) or hf-vivit-classifier (VivitForVideoClassification)"

    func run() throws {
        verbosity.apply()
        try sandbox.enter()
        try checkOutputs()
        var input = try Checkpoint.open(source, options: reading.readOptions)
        if writesModelDirectory {
            try writeModelDirectory(input)
            return
        }
        if let to {
            let checkpoint = try layouts.pipeline(reading).recognise(input, path: source, layout: from)
            let conversion = try checkpoint.convert(to: to, excluding: exclusion)
            for note in conversion.notes { printNote(CommandLineNames.render(note.text)) }
            input = conversion.source
        } else if !excludePatterns.isEmpty {
            let (kept, leftOut) = try ExclusionRecord.excludingFileNames(input, exclusion)
            printNote(ExclusionRecord.summary(leftOut))
            input = kept
        }
        if let dtype { input = try CastingSource(input, to: dtype) }
        let bar = progressOptions.bar("convert")
        defer { bar?.clear() }
        let options = WriteOptions(compression: try compress.value().compression, maxShardBytes: try maxShardSize?.value().bytes,
                                   progress: bar?.handler)
        let fileFormat: CheckpointFormat? = if case .file(let chosen)? = format { chosen } else { nil }
        try Checkpoint.write(input, to: output, format: fileFormat, options: options, overwrite: force)
        let bytes = input.tensors.reduce(0) { $0 + $1.byteCount }
        let written = fileFormat ?? CheckpointFormat.forExtension(of: output) ?? (options.maxShardBytes != nil ? .safetensors : nil)
        noteStaleTemporaries(beside: output)
        printNote("wrote \(output) (\(written?.rawValue ?? "?")): \(input.tensors.count) \(input.tensors.count == 1 ? "tensor" : "tensors"), \(ByteCountText.format(bytes)) of tensor data")
    }

    /// What --exclude and --drop-head leave out of a layout conversion.
    var exclusion: TensorExclusion {
        TensorExclusion(patterns: excludePatterns, dropHead: dropHead, matches: Glob.matches)
    }

    /// Whether OUT is a Hugging Face model directory: `--format hf`, or `--to` a Hugging Face
    /// ViT layout with an OUT whose name says no file format (a directory has no extension).
    var writesModelDirectory: Bool {
        switch format {
        case .huggingFace?: return true
        case .file?: return false
        case nil:
            guard to != nil, maxShardSize == nil, CheckpointFormat.forExtension(of: output) == nil,
                  let library = try? layouts.library() else { return false }
            return Self.huggingFaceClass(of: to, in: library) != nil
        }
    }

    /// OUT as a directory `from_pretrained` loads: the weights in a Hugging Face ViT or ViViT
    /// layout as `model.safetensors`, and a `config.json` for the architecture they hold.
    func writeModelDirectory(_ input: any TensorSource) throws {
        let checkpoint = try layouts.pipeline(reading).recognise(input, path: source, layout: from)
        let isViViT = ViViTArchitecture.isViViT(checkpoint.match.canonicalTensors)
        // validate() made sure --to names a Hugging Face ViT or ViViT layout; without it, a
        // ViViT's classifier says which.
        var chosen = to
        if chosen == nil && isViViT { chosen = try checkpoint.vivitArchitecture().classes == nil ? "hf-vivit" : "hf-vivit-classifier" }
        guard let target = chosen else { throw ValidationError(Self.huggingFaceTargets) }
        if let library = try? layouts.library(), Self.huggingFaceClass(of: target, in: library)?.isViViT == true {
            try writeViViTDirectory(checkpoint, target: target)
            return
        }
        let export = try checkpoint.huggingFaceViT(target, excluding: exclusion, dtype: dtype)
        for note in export.notes { printNote(CommandLineNames.render(note.text)) }
        try writeDirectory(source: export.source, modelClass: export.modelClass, files: "config.json + model.safetensors",
                           advice: export.loadingAdvice(path: output), write: export.write)
    }

    /// Writes a prepared Hugging Face directory under a progress bar, then says what was written
    /// and how to load it.
    private func writeDirectory(source: any TensorSource, modelClass: HuggingFaceClass, files: String, advice: PipelineNote?,
                                write: (String, Bool, ProgressHandler?) throws(CheckpointError) -> Void) throws {
        do {
            let bar = progressOptions.bar("convert")
            defer { bar?.clear() }
            try write(output, force, bar?.handler)
        }
        if let advice { printNote(CommandLineNames.render(advice.text)) }
        let bytes = source.tensors.reduce(0) { $0 + $1.byteCount }
        noteStaleTemporaries(beside: output)
        printNote("wrote \(output) (hf: \(files), \(modelClass.rawValue)): \(source.tensors.count) tensors, \(ByteCountText.format(bytes)) of tensor data")
    }

    /// A ViViT Model 1 as a Hugging Face ViViT directory, with `preprocessor_config.json` when
    /// the input normalisation is known.
    func writeViViTDirectory(_ checkpoint: RecognisedCheckpoint, target: String) throws {
        let normalisation = normalisation()
        let clip = ViViTArchitecture.Clip(frames: frames.map { Sourced($0, .given) }, imageSize: imageSize.map { Sourced($0, .given) })
        let export = try checkpoint.huggingFaceViViT(target, clip: clip, normalisation: normalisation, excluding: exclusion, dtype: dtype)
        for note in export.notes { printNote(CommandLineNames.render(note.text)) }
        if let normalisation {
            printNote("preprocessor_config.json: mean \(normalisation.mean), std \(normalisation.std) (\(normalisation.origin.basis))")
        } else {
            printNote("note: no preprocessor_config.json: the input normalisation is not stored in the weights and no preprocessor_config.json or timm config.json beside them says it; pass --image-mean and --image-std (0.5,0.5,0.5 for scenic's and Google's models) to write one")
        }
        let files = export.preprocessorConfig == nil ? "config.json + model.safetensors" : "config.json + preprocessor_config.json + model.safetensors"
        try writeDirectory(source: export.source, modelClass: export.modelClass, files: files,
                           advice: export.loadingAdvice(path: output), write: export.write)
    }

    /// The input normalisation: the options, or the files beside the weights, or nothing.
    func normalisation() -> InputNormalisation? {
        if let imageMean, let imageStd { return InputNormalisation(mean: imageMean.values, std: imageStd.values, origin: .given) }
        return InputNormalisation.find(for: source)
    }
}
