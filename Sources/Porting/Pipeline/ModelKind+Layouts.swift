import TensorIO

/// Which layouts hold which kind of model, so that a conversion into a layout built for
/// another model is refused by naming the file's model and the layout that fits it, not by the
/// first tensor the target has no place for.
extension ModelKind {
    /// The built-in layouts that hold this model: a ViViT's scenic tree (Models 1 and 4 share
    /// scenic's, Model 1 also Hugging Face's); nil for an image ViT, which most layouts hold.
    public var layouts: [String]? {
        guard case .video(let vivit) = self else { return nil }
        var names: [String] = []
        for model in vivit.candidateModels {
            if let scenic = model.scenicLayout, !names.contains(scenic) { names.append(scenic) }
            if model == .spacetime { names += ["hf-vivit-classifier", "hf-vivit", "hf-vivit-classifier-v5", "hf-vivit-v5"] }
        }
        return names
    }

    /// The refusal for writing this model in `target`'s layout, which failed with `failure`,
    /// when the cause is that the layout is built for another kind of model; nil when it holds
    /// this model or the failure is about the classifier (which the caller can leave out).
    func refusal(writing target: LayoutSchema, failure: CheckpointError, file: String) -> CheckpointError? {
        if let tensor = failure.tensor, tensor.hasPrefix("output_projection/") || tensor.hasPrefix("pre_logits/") { return nil }
        let cause: SettingText = failure.tensor.map { "'\($0)': \(failure.reasonText)" } ?? failure.reasonText
        switch self {
        case .video(let vivit):
            guard let layouts, !layouts.contains(target.name) else { return nil }
            return CheckpointError(.unsupported, file: file,
                "this is a \(vivit.modelName), which the \(target.name) layout does not hold (\(cause))",
                fix: "Use \(setting: .targetLayout) \(layouts[0]), the layout of its model\(layouts.count > 1 ? " (or \(layouts.dropFirst().joined(separator: ", ")))" : ""), or convert without \(setting: .targetLayout) to keep the file's own names")
        case .image(let vit):
            guard Self.isVideoLayout(target) else { return nil }
            return CheckpointError(.unsupported, file: file,
                "this is an image ViT (\(vit.modelName)), which the \(target.name) layout, a video model's, does not hold (\(cause))",
                fix: "Inflate it into a ViViT first, or use \(setting: .targetLayout) with an image layout (hf-vit, timm, vision_transformer …)")
        }
    }

    /// A layout only video models fill: a Hugging Face video class, or scenic's Model 2 or 3 tree.
    static func isVideoLayout(_ schema: LayoutSchema) -> Bool {
        if let modelClass = schema.huggingFaceClass, !modelClass.isImageViT { return true }
        return schema.places("SpatialTransformer/posembed_input/pos_embedding")
            || schema.places("Transformer/encoderblock_0/MultiHeadDotProductAttention_space/query/kernel")
    }
}

extension RecognisedCheckpoint {
    /// The kind of model this checkpoint holds; nil when its architecture cannot be inferred.
    public var modelKind: ModelKind? { ModelKind.of(match, path: path) }

    /// `body`'s result, or its error rephrased as a model mismatch when `target` is another
    /// model's layout (a Model 2 written `--to scenic`, a ViT written as a ViViT layout).
    func refusingOtherModels<Result>(writing target: LayoutSchema,
                                     _ body: () throws(CheckpointError) -> Result) throws(CheckpointError) -> Result {
        do {
            return try body()
        } catch {
            throw modelKind?.refusal(writing: target, failure: error, file: path) ?? error
        }
    }
}
