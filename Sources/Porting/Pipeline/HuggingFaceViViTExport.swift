import FoundationEssentials
import TensorIO

/// A ViViT Model 1 (scenic's tree, or a Hugging Face ViViT in another layout) converted into a
/// Hugging Face ViViT layout with the `config.json` that loads it, and a
/// `preprocessor_config.json` when the input normalisation is known: a directory
/// `from_pretrained` reads with no missing or unexpected keys.
public struct HuggingFaceViViTExport {
    /// The tensors as written (in the target layout, cast to the output dtype).
    public let source: any TensorSource
    /// `config.json`.
    public let config: Data
    /// `preprocessor_config.json`; nil when nothing said the input normalisation.
    public let preprocessorConfig: Data?
    /// The transformers class that loads the directory.
    public let modelClass: HuggingFaceClass
    /// The architecture written: without what was left out, with the clip the config states.
    public let architecture: ViViTArchitecture
    public let notes: [PipelineNote]

    /// Writes `config.json`, `model.safetensors` and any `preprocessor_config.json` into the
    /// directory `path`, atomically.
    public func write(to path: String, overwrite: Bool = false, progress: ProgressHandler? = nil) throws(CheckpointError) {
        try Checkpoint.writeModelDirectory(source, config: config, preprocessorConfig: preprocessorConfig, to: path,
                                           overwrite: overwrite, progress: progress)
    }

    /// Advice for loading the directory at `path`, if it needs any: a VivitModel without a
    /// pre_logits layer for its pooler.
    public func loadingAdvice(path: String) -> PipelineNote? {
        guard modelClass == .vivitModel && !architecture.hasPreLogits else { return nil }
        return PipelineNote(.advice, "note: this ViViT has no pre_logits layer for VivitModel's pooler; load it with VivitModel.from_pretrained(\"\(path)\", add_pooling_layer=False)")
    }
}

extension RecognisedCheckpoint {
    /// The architecture of the ViViT this checkpoint holds, with the clip `given` states, else
    /// the one a `config.json` beside it states (Model 1 stores only the product of temporal
    /// tokens and patch grid); an error when it is not a ViViT.
    public func vivitArchitecture(clip given: ViViTArchitecture.Clip = ViViTArchitecture.Clip()) throws(CheckpointError) -> ViViTArchitecture {
        guard ViViTArchitecture.isViViT(match.canonicalTensors) else {
            throw CheckpointError(.invalidRequest, file: path, tensor: "embedding/kernel",
                "this is an image ViT (a 2-D patch kernel), not a ViViT",
                fix: "Inflate it into a ViViT first, which writes a Hugging Face ViViT directory itself")
        }
        return try ViViTArchitecture.infer(match, file: path, clip: clip(given))
    }

    /// The clip `given` states (frames or image size), else a config.json's; the config's
    /// tubelet is checked against the kernel either way.
    func clip(_ given: ViViTArchitecture.Clip) -> ViViTArchitecture.Clip {
        var clip = ViViTArchitecture.Clip(SourceConfig.find(for: path))
        if given.frames != nil || given.imageSize != nil {
            (clip.frames, clip.imageSize) = (given.frames, given.imageSize)
        }
        if let tubelet = given.tubelet { clip.tubelet = tubelet }
        return clip
    }

    /// The checkpoint, a ViViT Model 1 with a CLS token, in the Hugging Face ViViT layout
    /// `target` (a schema whose `huggingFaceClass` is `VivitModel` or
    /// `VivitForVideoClassification`), with its config.
    ///
    /// A `VivitModel` target has no classifier: the source's is left out and recorded. A
    /// `VivitForVideoClassification` target needs one, and no pre_logits layer (it has no
    /// place for it).
    /// - Parameters:
    ///   - clip: the frames or image size, when no config.json beside the weights states them.
    ///   - normalisation: the input mean and standard deviation for `preprocessor_config.json`
    ///     (none is written without it).
    ///   - dtype: cast every floating-point tensor to it (default: the source's).
    public func huggingFaceViViT(_ target: String, clip: ViViTArchitecture.Clip = ViViTArchitecture.Clip(),
                                 normalisation: InputNormalisation? = nil, excluding exclusion: TensorExclusion = .none,
                                 dtype: DType? = nil) throws(CheckpointError) -> HuggingFaceViViTExport {
        let schema = try pipeline.library.schema(named: target)
        guard let modelClass = schema.huggingFaceClass, modelClass.isViViT else {
            throw CheckpointError(.invalidRequest, file: path,
                "'\(schema.name)' is not a Hugging Face ViViT layout",
                fix: "Use \(setting: .targetLayout) with a layout whose schema names a Hugging Face ViViT class (huggingFaceClass: VivitModel or VivitForVideoClassification)")
        }
        let source = try vivitArchitecture(clip: clip)
        var architecture = source
        var exclusion = exclusion
        if modelClass == .vivitModel && source.classes != nil {
            // VivitModel has no classifier: asking for it is asking for the backbone.
            exclusion.dropHead = true
            exclusion.headReason = "the video classifier, which VivitModel (\(schema.name)) does not have"
            architecture.classes = nil
        }
        // Everything the directory cannot hold is refused before the conversion is planned,
        // and again for what it holds after the caller's exclusions.
        let outputDType = dtype ?? match.canonicalTensors.first { $0.dtype.isFloatingPoint }?.dtype ?? .float32
        let labels = SourceConfig.find(for: path)?.labels
        _ = try HuggingFaceViViTConfig.fields(architecture, modelClass: modelClass, values: values, labels: labels,
                                              dtype: outputDType, file: path)
        let conversion = try LayoutConversion.convert(self.source, match: match, to: schema, exclusion: exclusion,
                                                      values: ModelValues(heads: values.heads))
        let result = conversion.source
        architecture = try ViViTArchitecture.infer(result.canonical.tensors, file: path, heads: match.headCount, clip: self.clip(clip))
        let config = try HuggingFaceViViTConfig.fields(architecture, modelClass: modelClass, values: values, labels: labels,
                                                       dtype: outputDType, file: path).data(file: path)
        var preprocessor: Data?
        var notes = conversion.notes
        if let frames = architecture.frames, let imageSize = architecture.imageSize, let origin = architecture.clipOrigin {
            notes.append(PipelineNote(.layout, "clip: \(frames) frames of \(imageSize[0]) px (\(origin.basis))"))
            if let normalisation {
                preprocessor = try HuggingFaceViViTConfig.preprocessor(frames: frames, imageSize: imageSize[0],
                                                                       normalisation: normalisation, file: path)
            }
        }
        var written: any TensorSource = result
        if let dtype { written = try CastingSource(written, to: dtype) }
        notes += PipelineNote.assumptions(values, recorded: ["heads", "activation", "layer_norm_eps"])
        return HuggingFaceViViTExport(source: written, config: config, preprocessorConfig: preprocessor,
                                      modelClass: modelClass, architecture: architecture, notes: notes)
    }
}
