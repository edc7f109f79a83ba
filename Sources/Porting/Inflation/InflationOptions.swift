import TensorIO

/// Everything an inflation is asked for. Defaults are scenic's ViViT-B/16x2 K400 ones.
public struct InflationOptions: Codable, Sendable, Equatable {
    public var model: VideoModel
    /// Frames per clip.
    public var frames = 32
    /// Tubelet depth `t` (1 for TimeSformer); height and width default to the ViT's patch.
    public var tubeletFrames = 2
    public var tubeletHeight: Int?
    public var tubeletWidth: Int?
    /// Input height and width; default the ViT's own resolution.
    public var imageHeight: Int?
    public var imageWidth: Int?
    public var kernelInflation: KernelInflation = .central
    /// nil: `tile` when the patch grid is unchanged, `resize-tile` (Model 2: `resize`) when it changes.
    public var positionalEmbedding: PositionalEmbeddingMethod?
    /// Model 2's temporal transformer depth (scenic's K400 config: 4).
    public var temporalLayers = 4
    /// Model 3's temporal attention.
    public var temporalAttention: TemporalAttentionInit = .copy
    /// Classes of the new zero `output_projection`; nil writes no classifier.
    public var classes: Int?
    /// Keep the ViT's `pre_logits` layer (scenic removes it unless the target has one).
    public var keepPreLogits = false
    /// Model 2: copy the ViT's `cls` into `cls_SpatialTransformer`. scenic does not (the
    /// spatial CLS token starts at zero), so this is a documented deviation.
    public var copySpatialClassToken = false
    /// Seed for every randomly initialised tensor.
    public var seed: UInt64 = 0
    /// The video model's classifier; nil keeps the ViT's (Models 1, 2) or pools by averaging
    /// (Models 3, 4, which scenic allows no CLS token).
    public var classifier: ViTArchitecture.Classifier?

    /// The classifier the inflated model gets from a ViT with `vit`'s.
    public func resolvedClassifier(for vit: ViTArchitecture) -> ViTArchitecture.Classifier {
        classifier ?? (model.allowsClassToken ? vit.classifier : .gap)
    }

    /// TimeSformer embeds every frame with the 2-D patch kernel: its tubelets are one frame deep.
    public init(model: VideoModel) {
        self.model = model
        if model == .timesformer { tubeletFrames = 1 }
    }

    /// The first option whose value no inflation can take, as a sentence naming it ("classes
    /// must be positive"); nil when every value is usable. The one home of these checks: the
    /// command line reports them as usage errors, ``Inflater`` refuses them all the same.
    public var invalidOption: SettingText? {
        if let classes, classes <= 0 { return "\(setting: .classes) must be positive, not \(classes)" }
        if frames <= 0 { return "\(setting: .frames) must be positive, not \(frames)" }
        if tubeletFrames > 0, frames % tubeletFrames != 0 {
            return "\(frames) frames do not divide into tubelets of \(tubeletFrames) frames; choose \(setting: .frames) as a multiple of \(tubeletFrames)"
        }
        return nil
    }

    /// Throws ``invalidOption`` as an error about `file`.
    public func validate(file: String) throws(CheckpointError) {
        if let invalidOption { throw CheckpointError(.invalidRequest, file: file, invalidOption) }
    }
}
