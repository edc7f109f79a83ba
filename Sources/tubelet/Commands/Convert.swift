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
              tubelet convert ViT-L_16.npz shards --max-shard-size 2GB

            The output format follows OUT's extension unless --format names it. The output is \
            written to a temporary file and renamed into place when complete; an existing OUT \
            is replaced only with --force. With --max-shard-size, OUT is a directory of \
            safetensors shards and model.safetensors.index.json, as Hugging Face writes them. \
            SRC may be a file, a shard index or a Hugging Face model directory. --format hf \
            writes a Hugging Face model directory OUT (config.json + model.safetensors) of a \
            ViT in the layout --to names (hf-vit: ViTModel, hf-vit-classifier: \
            ViTForImageClassification, and their -v5 forms in transformers 5's own names); \
            --to one of those with an OUT that has no file extension does the same.
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
    var compress = "none"

    @Option(name: .customLong("max-shard-size"),
            help: "Write a Hugging Face sharded safetensors directory OUT with shards of at most this size (5GB, 500MB, 2GiB or bytes).")
    var maxShardSize: String?

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

    @OptionGroup var progressOptions: ProgressOptionGroup

    @OptionGroup var layouts: LayoutOptionGroup

    @OptionGroup var verbosity: VerbosityOptionGroup

    @OptionGroup var sandbox: SandboxOptionGroup

    @OptionGroup(title: "Reading untrusted input") var reading: ReadOptionGroup

    func validate() throws {
        let compressionChosen = try compression()
        let sharded = try maxShardBytes() != nil
        if !writesModelDirectory {
            let fileFormat: CheckpointFormat? = if case .file(let chosen)? = format { chosen } else { nil }
            guard let written = fileFormat ?? CheckpointFormat.forExtension(of: output) ?? (sharded ? .safetensors : nil) else {
                throw ValidationError("cannot tell the output format from '\(output)'; pass --format (\(Spellings.formats.map(\.shown).joined(separator: ", ")))")
            }
            if sharded, written != .safetensors {
                throw ValidationError("--max-shard-size splits safetensors output only, not \(written.rawValue)")
            }
            if compressionChosen != .stored, written != .npz, written != .hdf5 {
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
        if writesModelDirectory {
            guard let to, HuggingFaceViTConfig.modelClasses[to] != nil else {
                throw ValidationError("--format hf writes a Hugging Face ViT directory: pass --to hf-vit (ViTModel) or --to hf-vit-classifier (ViTForImageClassification)")
            }
            guard maxShardSize == nil else {
                throw ValidationError("--format hf writes one model.safetensors beside config.json; drop --max-shard-size")
            }
            guard try compression() == .stored else {
                throw ValidationError("--format hf writes safetensors, which are not compressed; drop --compress")
            }
        }
    }

    func maxShardBytes() throws -> Int? {
        guard let maxShardSize else { return nil }
        guard let bytes = ByteSize.parse(maxShardSize), bytes > 0 else {
            throw ValidationError("--max-shard-size must be a positive size such as 5GB, 500MB, 2GiB or a number of bytes, not '\(maxShardSize)'")
        }
        return bytes
    }

    func compression() throws -> WriteOptions.Compression {
        if compress == "none" || compress == "stored" { return .stored }
        // gzip is HDF5's (and h5py's) name for the same DEFLATE compression.
        for method in ["deflate", "gzip"] {
            if compress == method { return .deflate(level: 6) }
            if compress.hasPrefix(method + ":"), let level = Int(compress.dropFirst(method.count + 1)), (1...9).contains(level) {
                return .deflate(level: level)
            }
        }
        throw ValidationError("--compress must be 'none', 'deflate[:LEVEL]' or 'gzip[:LEVEL]' with LEVEL 1-9, not '\(compress)'")
    }

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
            let detector = try layouts.detector(for: source)
            let match = try LayoutConversion.sourceLayout(input, from: from, detector: detector)
            let values = try layouts.values(for: match, path: source)
            let conversion = try LayoutConversion.convert(input, match: match, to: detector.library.schema(named: to),
                                                          exclusion: exclusion, values: values)
            for note in conversion.notes { printNote(note) }
            input = conversion.source
        } else if !excludePatterns.isEmpty {
            input = try excludingFileNames(input)
        }
        if let dtype { input = try CastingSource(input, to: dtype) }
        let bar = progressOptions.bar("convert")
        defer { bar?.clear() }
        let options = WriteOptions(compression: try compression(), maxShardBytes: try maxShardBytes(), progress: bar?.handler)
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

    /// `input` without the tensors --exclude names by the file's own names (no --to).
    func excludingFileNames(_ input: any TensorSource) throws -> any TensorSource {
        let leftOut = input.tensors.compactMap { info in
            excludePatterns.first { Glob.matches($0, info.name) }.map {
                TensorExclusion.LeftOut(canonical: info.name, fileTensors: [info.name], reason: "excluded by '\($0)'")
            }
        }
        try ExclusionRecord.requireEveryPatternUsed(exclusion, leftOut: leftOut, file: source)
        printNote(ExclusionRecord.summary(leftOut))
        return SubsetSource(AnnotatedSource(input, adding: ExclusionRecord.metadata(leftOut)), excluding: Set(leftOut.map(\.canonical)))
    }

    /// Whether OUT is a Hugging Face model directory: `--format hf`, or `--to` a Hugging Face
    /// ViT layout with an OUT whose name says no file format (a directory has no extension).
    var writesModelDirectory: Bool {
        switch format {
        case .huggingFace?: return true
        case .file?: return false
        case nil:
            guard let to, HuggingFaceViTConfig.modelClasses[to] != nil, maxShardSize == nil else { return false }
            return CheckpointFormat.forExtension(of: output) == nil
        }
    }

    /// OUT as a directory `from_pretrained` loads: the weights in a Hugging Face ViT layout
    /// as `model.safetensors`, and a `config.json` for the architecture they hold.
    func writeModelDirectory(_ input: any TensorSource) throws {
        // validate() made sure --to names a Hugging Face ViT layout.
        guard let target = to else { throw ValidationError("--format hf needs --to hf-vit or --to hf-vit-classifier") }
        let detector = try layouts.detector(for: source)
        let match = try LayoutConversion.sourceLayout(input, from: from, detector: detector)
        let schema = try detector.library.schema(named: target)
        let values = try layouts.values(for: match, path: source)
        // The config.json written states the source's activation: no note needed.
        let conversion = try LayoutConversion.convert(input, match: match, to: schema, exclusion: exclusion,
                                                      values: ModelValues(heads: values.heads))
        let result = conversion.source
        // The architecture of what is written: without what --drop-head or --exclude left out.
        let architecture = try ViTArchitecture.infer(result.canonical.tensors, file: source, heads: match.headCount)
        let outputDType = dtype ?? match.canonicalTensors.first { $0.dtype.isFloatingPoint }?.dtype ?? .float32
        let config = try HuggingFaceViTConfig.make(
            layout: target, architecture: architecture, values: values,
            preLogitsWidth: result.canonical.tensors.first { $0.name == "pre_logits/kernel" }?.shape.last,
            dtype: outputDType, file: source)
        var written: any TensorSource = result
        if let dtype { written = try CastingSource(written, to: dtype) }
        for note in conversion.notes { printNote(note) }
        for note in AssumptionNotes.lines(values, recorded: ["heads", "activation", "layer_norm_eps"]) { printNote(note) }
        let bar = progressOptions.bar("convert")
        defer { bar?.clear() }
        try Checkpoint.writeModelDirectory(written, config: config, to: output, overwrite: force, progress: bar?.handler)
        let modelClass = HuggingFaceViTConfig.modelClasses[target] ?? "?"
        if modelClass == "ViTModel" && !architecture.hasPreLogits {
            printNote("note: this ViT has no pre_logits layer for ViTModel's pooler; load it with ViTModel.from_pretrained(\"\(output)\", add_pooling_layer=False)")
        }
        let bytes = written.tensors.reduce(0) { $0 + $1.byteCount }
        noteStaleTemporaries(beside: output)
        printNote("wrote \(output) (hf: config.json + model.safetensors, \(modelClass)): \(written.tensors.count) tensors, \(ByteCountText.format(bytes)) of tensor data")
    }
}
