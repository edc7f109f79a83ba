import FoundationEssentials
import TensorIO

/// `config.json` of a Hugging Face `ViTModel` or `ViTForImageClassification`, for
/// a ViT written as a Hugging Face model directory (its layout's schema names the class).
///
/// The weights do not say everything the config must: the head count, the activation and the
/// LayerNorm epsilon come from ``ModelValues`` (the weights' shapes, a config beside them, the
/// options, or, marked as assumed, the standard table and the family's values: a Flax ViT uses
/// the tanh GELU and 1e-6, so its port must say `gelu_fast` and 1e-6 to compute the same
/// function). A value none of these gives is refused, never guessed.
public enum HuggingFaceViTConfig {
    /// The config for writing `architecture` in the layout `schema`, read from `file`.
    /// - Parameters:
    ///   - preLogitsWidth: the output width of the pre_logits layer, when there is one (it
    ///     becomes the pooler, `pooler_output_size`).
    public static func make(schema: LayoutSchema, architecture: ViTArchitecture, values: ModelValues, preLogitsWidth: Int?,
                            dtype: DType, file: String) throws(CheckpointError) -> Data {
        let modelClass = try Self.modelClass(of: schema, file: file)
        guard architecture.classifier == .token else {
            throw CheckpointError(.unsupported, file: file,
                "Hugging Face's ViT pools with a CLS token, which this ViT (a gap classifier) does not have",
                fix: "Write a file format instead of \(setting: .outputFormat) hf")
        }
        var labels: [String: JSONLiteral] = [:]
        if modelClass == .vitForImageClassification {
            guard let classes = architecture.classes else {
                throw CheckpointError(.invalidRequest, file: file, "ViTForImageClassification needs a classifier head, which this ViT does not have",
                    fix: "Convert \(setting: .targetLayout) hf-vit (ViTModel) instead")
            }
            guard !architecture.hasPreLogits else {
                throw CheckpointError(.unsupported, file: file,
                    "ViTForImageClassification has no pre_logits layer: transformers would drop vit.pooler.dense and compute other logits",
                    fix: "Convert \(setting: .targetLayout) hf-vit (ViTModel, whose pooler is the pre_logits layer) and put the head on top of it")
            }
            labels = HuggingFaceValues.labels(classes)
        }
        let heads = try architecture.requireHeads(file: file, purpose: "A Hugging Face config (num_attention_heads)")
        let (activation, epsilon) = try HuggingFaceValues.activationAndEpsilon(values, file: file)
        let square = architecture.imageSize[0] == architecture.imageSize[1] && architecture.patchSize[0] == architecture.patchSize[1]
        var object: [String: JSONLiteral] = [
            "architectures": [.string(modelClass.rawValue)],
            "model_type": .string(modelClass.modelType),
            "hidden_size": .integer(architecture.width),
            "num_hidden_layers": .integer(architecture.depth),
            "num_attention_heads": .integer(heads),
            "intermediate_size": .integer(architecture.mlpWidth),
            "hidden_act": .string(activation),
            "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0,
            "initializer_range": 0.02,
            "layer_norm_eps": .number(epsilon),
            "image_size": square ? .integer(architecture.imageSize[0]) : .array(architecture.imageSize.map(JSONLiteral.integer)),
            "patch_size": square ? .integer(architecture.patchSize[0]) : .array(architecture.patchSize.map(JSONLiteral.integer)),
            "num_channels": .integer(architecture.channels),
            "qkv_bias": true,
            "encoder_stride": .integer(architecture.patchSize[0]),
            "pooler_output_size": .integer(preLogitsWidth ?? architecture.width),
            "pooler_act": "tanh",
            "dtype": .string(HuggingFaceValues.torchDType(dtype)),
        ]
        object.merge(labels) { $1 }
        return try JSONLiteral.fileData(object, file: file)
    }

    /// The transformers ViT class that loads `schema`'s layout, or an error when its schema
    /// names none.
    public static func modelClass(of schema: LayoutSchema, file: String) throws(CheckpointError) -> HuggingFaceClass {
        guard let modelClass = schema.huggingFaceClass, modelClass.isImageViT else {
            throw CheckpointError(.invalidRequest, file: file,
                "\(setting: .outputFormat) hf writes Hugging Face ViT directories; '\(schema.name)' is not a Hugging Face ViT layout",
                fix: "Use \(setting: .targetLayout) with a layout whose schema names a Hugging Face ViT class (huggingFaceClass: ViTModel or ViTForImageClassification)")
        }
        return modelClass
    }
}
