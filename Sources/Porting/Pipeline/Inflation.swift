import FoundationEssentials
import TensorIO

/// A planned inflation of a recognised ViT into a ViViT, and the outputs it can be written as.
public struct Inflation {
    /// What an inflation can be written as.
    public enum Format: String, CaseIterable, Sendable {
        case hdf5, npz
        /// A Hugging Face directory: `config.json` and `model.safetensors` in the `hf-vivit-classifier`
        /// layout (`VivitForVideoClassification`, Model 1 only; `hf-vivit`, `VivitModel`,
        /// without a classifier), or for TimeSformer in the
        /// `hf-timesformer` layouts, with `preprocessor_config.json` when the input
        /// normalisation is known.
        case hf
        case safetensors, msgpack, pth

        /// The format a file name's extension names; nil for none (a directory, or no
        /// extension Tubelet writes).
        public init?(pathExtensionOf path: String) {
            switch CheckpointFormat.forExtension(of: path) {
            case .hdf5?: self = .hdf5
            case .npz?: self = .npz
            case .safetensors?: self = .safetensors
            case .pytorch?: self = .pth
            case .msgpack?: self = .msgpack
            default: return nil
            }
        }

        /// The file format a file output is written in; nil for a Hugging Face directory.
        public var fileFormat: CheckpointFormat? {
            switch self {
            case .hdf5: .hdf5
            case .npz: .npz
            case .safetensors: .safetensors
            case .msgpack: .msgpack
            case .pth: .pytorch
            case .hf: nil
            }
        }

        /// The model values the output records, for which an assumption is worth a note: every
        /// output splits attention by head; only a Hugging Face config states the rest.
        public var recordedValues: Set<String> {
            self == .hf ? ["heads", "activation", "layer_norm_eps"] : ["heads"]
        }
    }

    /// The ViT it was planned from.
    public let checkpoint: RecognisedCheckpoint
    /// The ViT's architecture (after the exact rewrites).
    public let architecture: ViTArchitecture
    /// The ViViT, computed one tensor at a time as a writer asks for it.
    public let inflated: InflatedSource

    /// Where every output tensor came from, and why each input tensor left out was left out.
    public var report: PortReport { inflated.report }

    /// The notes for an output in `format`: the assumed values it records, each naming the
    /// setting that overrides it.
    public func notes(for format: Format) -> [PipelineNote] {
        var notes = PipelineNote.assumptions(checkpoint.values, recorded: format.recordedValues)
        // VivitModel's pooler is the pre_logits layer; without one transformers would draw it.
        if format == .hf, inflated.options.model == .spacetime, inflated.options.classes == nil,
           !inflated.tensors.contains(where: { $0.name == "pre_logits/kernel" }) {
            notes.append(PipelineNote(.advice, "note: no classifier, so this is a VivitModel; it has no pre_logits layer for the pooler: load it with VivitModel.from_pretrained(DIR, add_pooling_layer=False)"))
        }
        return notes
    }

    /// The output in `format`, every floating-point tensor cast to `dtype` (default float32),
    /// ready to write: made before anything is written, so what a format cannot hold (a Hugging
    /// Face directory: Model 1, a CLS token, a classifier, square images) is refused first.
    ///
    /// A TimeSformer exists in PyTorch only: it is written under Hugging Face's names (an `hf`
    /// directory, or safetensors or pth). A Hugging Face directory (TimeSformer's, Model 1's) has
    /// a `preprocessor_config.json` when `normalisation` (the ViT's input mean and standard
    /// deviation, which no weights file stores) is given.
    public func output(_ format: Format, dtype: DType? = nil,
                       normalisation: InputNormalisation? = nil) throws(CheckpointError) -> PreparedOutput {
        var result: any TensorSource = inflated
        if let dtype { result = try CastingSource(result, to: dtype) }
        if inflated.options.model == .timesformer {
            guard [.hf, .safetensors, .pth].contains(format) else {
                throw CheckpointError(.invalidRequest, file: inflated.path,
                    "TimeSformer is a PyTorch model (Hugging Face's TimesformerModel); write it as hf, safetensors or pth, not \(format.rawValue)")
            }
            let schema = try checkpoint.pipeline.library.schema(named: HuggingFaceTimeSformerConfig.layout(inflated.options))
            let source = try LayoutSource(result, schema: schema, depth: architecture.depth)
            let named = report.named(by: source.fileTensors, dtype: dtype)
            guard format == .hf else { return PreparedOutput(format: format, source: source, config: nil, report: named) }
            let config = try HuggingFaceTimeSformerConfig.make(inflated, values: checkpoint.values, dtype: dtype ?? .float32)
            let preprocessor = try normalisation.map { normalisation throws(CheckpointError) in
                try HuggingFaceTimeSformerConfig.preprocessor(inflated, normalisation: normalisation)
            }
            return PreparedOutput(format: format, source: source, config: config, report: named, preprocessorConfig: preprocessor)
        }
        if format == .hf {
            let schema = try checkpoint.pipeline.library.schema(named: HuggingFaceViViTConfig.layout(inflated.options))
            let config = try HuggingFaceViViTConfig.make(inflated, values: checkpoint.values, dtype: dtype ?? .float32)
            let preprocessor = try normalisation.map { normalisation throws(CheckpointError) in
                try HuggingFaceViViTConfig.preprocessor(frames: inflated.geometry.frames, imageSize: inflated.geometry.imageSize[0],
                                                        normalisation: normalisation, file: inflated.path)
            }
            let source = try LayoutSource(result, schema: schema, depth: architecture.depth)
            return PreparedOutput(format: format, source: source, config: config,
                                  report: report.named(by: source.fileTensors, dtype: dtype), preprocessorConfig: preprocessor)
        }
        let named = report.named(dtype: dtype)
        if format == .hdf5 {
            // HDF5 keeps the provenance report with the weights, as a root attribute.
            result = AnnotatedSource(result, adding: ["tubelet.report": named.jsonText(naming: checkpoint.pipeline.settingNames)])
        }
        return PreparedOutput(format: format, source: result, config: nil, report: named)
    }

    /// Writes the ViViT to `path` in `format` (default: the one `path`'s extension names).
    /// - Returns: the format written.
    @discardableResult
    public func write(to path: String, format: Format? = nil, dtype: DType? = nil, overwrite: Bool = false,
                      progress: ProgressHandler? = nil) throws(CheckpointError) -> Format {
        guard let format = format ?? Format(pathExtensionOf: path) else {
            throw CheckpointError(.invalidRequest, file: path, "cannot tell the output format from the file name",
                fix: "Name a format (\(Format.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        try output(format, dtype: dtype).write(to: path, overwrite: overwrite, progress: progress)
        return format
    }

    /// An inflation's output, ready to write.
    public struct PreparedOutput {
        public let format: Format
        /// The tensors as written, in the output's layout and dtype.
        public let source: any TensorSource
        /// `config.json` of a Hugging Face directory.
        public let config: Data?
        /// The inflation's report with each output as this output writes it: its name in the
        /// file (canonical name beside it), shape and dtype.
        public let report: PortReport
        /// `preprocessor_config.json` of a Hugging Face directory, when there is one.
        public var preprocessorConfig: Data? = nil

        /// Writes the output to `path` (a directory for ``Format/hf``), atomically: a failure
        /// leaves no partial output.
        public func write(to path: String, overwrite: Bool = false, progress: ProgressHandler? = nil) throws(CheckpointError) {
            if let config {
                try Checkpoint.writeModelDirectory(source, config: config, preprocessorConfig: preprocessorConfig, to: path,
                                                   overwrite: overwrite, progress: progress)
            } else {
                try Checkpoint.write(source, to: path, format: format.fileFormat, options: WriteOptions(progress: progress), overwrite: overwrite)
            }
        }
    }
}
