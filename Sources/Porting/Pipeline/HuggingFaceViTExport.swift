import FoundationEssentials
import TensorIO

/// A ViT converted into a Hugging Face ViT layout with the `config.json` that loads it: a
/// directory `from_pretrained` reads with no missing or unexpected keys.
public struct HuggingFaceViTExport {
    /// The tensors as written (in the target layout, cast to the output dtype).
    public let source: any TensorSource
    /// `config.json`.
    public let config: Data
    /// The transformers class that loads the directory.
    public let modelClass: HuggingFaceClass
    /// The architecture written: without what the exclusion left out.
    public let architecture: ViTArchitecture
    public let notes: [PipelineNote]

    /// Writes `config.json` and `model.safetensors` into the directory `path`, atomically.
    public func write(to path: String, overwrite: Bool = false, progress: ProgressHandler? = nil) throws(CheckpointError) {
        try Checkpoint.writeModelDirectory(source, config: config, to: path, overwrite: overwrite, progress: progress)
    }

    /// Advice for loading the directory at `path`, if it needs any: a ViTModel without a
    /// pre_logits layer for its pooler.
    public func loadingAdvice(path: String) -> PipelineNote? {
        guard modelClass == .vitModel && !architecture.hasPreLogits else { return nil }
        return PipelineNote(.advice, "note: this ViT has no pre_logits layer for ViTModel's pooler; load it with ViTModel.from_pretrained(\"\(path)\", add_pooling_layer=False)")
    }
}

extension RecognisedCheckpoint {
    /// The checkpoint in the Hugging Face ViT layout `target` (a schema whose
    /// `huggingFaceClass` is a ViT class), with its config.
    /// - Parameter dtype: cast every floating-point tensor to it (default: the source's).
    public func huggingFaceViT(_ target: String, excluding exclusion: TensorExclusion = .none,
                               dtype: DType? = nil) throws(CheckpointError) -> HuggingFaceViTExport {
        let schema = try pipeline.library.schema(named: target)
        let modelClass = try HuggingFaceViTConfig.modelClass(of: schema, file: path)
        // The config.json written states the source's activation: no note needed.
        let conversion = try refusingOtherModels(writing: schema) { () throws(CheckpointError) in
            try LayoutConversion.convert(source, match: match, to: schema, exclusion: exclusion, values: ModelValues(heads: values.heads))
        }
        let result = conversion.source
        let architecture = try ViTArchitecture.infer(result.canonical.tensors, file: path, heads: match.headCount)
        let outputDType = dtype ?? match.canonicalTensors.first { $0.dtype.isFloatingPoint }?.dtype ?? .float32
        let config = try HuggingFaceViTConfig.make(
            schema: schema, architecture: architecture, values: values,
            preLogitsWidth: result.canonical.tensors.first { $0.name == "pre_logits/kernel" }?.shape.last,
            dtype: outputDType, file: path)
        var written: any TensorSource = result
        if let dtype { written = try CastingSource(written, to: dtype) }
        let notes = conversion.notes + PipelineNote.assumptions(values, recorded: ["heads", "activation", "layer_norm_eps"])
        return HuggingFaceViTExport(source: written, config: config, modelClass: modelClass,
                                    architecture: architecture, notes: notes)
    }
}
