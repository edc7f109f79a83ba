import FoundationEssentials
import Porting
import TensorIO

/// `config.json` of a Hugging Face `ViTModel` or `ViTForImageClassification`, for
/// `convert --to hf-vit… --format hf`.
///
/// The weights do not say everything the config must: the head count, the activation and the
/// LayerNorm epsilon come from ``ModelValues`` (the weights' shapes, a config beside them, the
/// options, or, marked as assumed, the standard table and the family's values: a Flax ViT uses
/// the tanh GELU and 1e-6, so its port must say `gelu_fast` and 1e-6 to compute the same
/// function). A value none of these gives is refused, never guessed.
enum HuggingFaceViTConfig {
    /// The transformers class that loads each Hugging Face ViT layout without missing or
    /// unexpected keys.
    static let modelClasses: [String: String] = [
        "hf-vit": "ViTModel", "hf-vit-v5": "ViTModel",
        "hf-vit-classifier": "ViTForImageClassification", "hf-vit-classifier-v5": "ViTForImageClassification",
    ]

    /// The config for writing `architecture` in `layout`, read from a file in `source`'s layout.
    /// - Parameters:
    ///   - preLogitsWidth: the output width of the pre_logits layer, when there is one (it
    ///     becomes the pooler, `pooler_output_size`).
    static func make(layout: String, architecture: ViTArchitecture, values: ModelValues, preLogitsWidth: Int?,
                     dtype: DType, file: String) throws(CheckpointError) -> Data {
        guard let modelClass = modelClasses[layout] else {
            throw CheckpointError(.invalidRequest, file: file, "--format hf writes Hugging Face ViT directories; '\(layout)' is not a Hugging Face ViT layout",
                fix: "Use --to \(modelClasses.keys.sorted().joined(separator: ", --to "))")
        }
        guard architecture.classifier == .token else {
            throw CheckpointError(.unsupported, file: file,
                "Hugging Face's ViT pools with a CLS token, which this ViT (a gap classifier) does not have",
                fix: "Write a file format instead of --format hf")
        }
        var labels: [String] = []
        if modelClass == "ViTForImageClassification" {
            guard let classes = architecture.classes else {
                throw CheckpointError(.invalidRequest, file: file, "ViTForImageClassification needs a classifier head, which this ViT does not have",
                    fix: "Convert --to hf-vit (ViTModel) instead")
            }
            guard !architecture.hasPreLogits else {
                throw CheckpointError(.unsupported, file: file,
                    "ViTForImageClassification has no pre_logits layer: transformers would drop vit.pooler.dense and compute other logits",
                    fix: "Convert --to hf-vit (ViTModel, whose pooler is the pre_logits layer) and put the head on top of it")
            }
            labels = (0..<classes).map { "LABEL_\($0)" }
        }
        let heads = try architecture.requireHeads(file: file, purpose: "A Hugging Face config (num_attention_heads)")
        let (activation, epsilon) = try HuggingFaceConfig.activationAndEpsilon(values, file: file)
        let square = architecture.imageSize[0] == architecture.imageSize[1] && architecture.patchSize[0] == architecture.patchSize[1]
        var object: [String: JSONLiteral] = [
            "architectures": [.string(modelClass)],
            "model_type": "vit",
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
            "dtype": .string(dtype == .float16 ? "float16" : dtype == .bfloat16 ? "bfloat16" : "float32"),
        ]
        if !labels.isEmpty {
            object["id2label"] = .object(Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0.offset), .string($0.element)) }))
            object["label2id"] = .object(Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, .integer($0.offset)) }))
        }
        return try JSONLiteral.fileData(object, file: file)
    }
}
