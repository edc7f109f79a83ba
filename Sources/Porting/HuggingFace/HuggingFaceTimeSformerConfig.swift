import FoundationEssentials
import TensorIO

/// `config.json` of a Hugging Face `TimesformerForVideoClassification` (with a classifier) or
/// `TimesformerModel` (without) for an inflated TimeSformer, its layout, and its
/// `preprocessor_config.json`.
public enum HuggingFaceTimeSformerConfig {
    /// The built-in layout of the weights: the classifier model's names when there is a classifier.
    public static func layout(_ options: InflationOptions) -> String {
        options.classes == nil ? "hf-timesformer" : "hf-timesformer-classifier"
    }

    /// The config of `inflated` written in `dtype`.
    /// - Parameter values: the source's activation and epsilon, so the video model computes
    ///   what the ViT did.
    public static func make(_ inflated: InflatedSource, values: ModelValues, dtype: DType) throws(CheckpointError) -> Data {
        let architecture = inflated.architecture
        let geometry = inflated.geometry
        let heads = try architecture.requireHeads(file: inflated.path, purpose: "A Hugging Face config (num_attention_heads)")
        let (activation, layerNormEpsilon) = try HuggingFaceValues.activationAndEpsilon(values, file: inflated.path)
        let modelClass: HuggingFaceClass = inflated.options.classes == nil ? .timesformerModel : .timesformerForVideoClassification
        var object: [String: JSONLiteral] = [
            "architectures": [.string(modelClass.rawValue)],
            "model_type": .string(modelClass.modelType),
            "attention_type": "divided_space_time",
            "hidden_size": .integer(architecture.width),
            "num_hidden_layers": .integer(architecture.depth),
            "num_attention_heads": .integer(heads),
            "intermediate_size": .integer(architecture.mlpWidth),
            "hidden_act": .string(activation),
            "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0,
            "drop_path_rate": 0.0,
            "initializer_range": 0.02,
            "layer_norm_eps": .number(layerNormEpsilon),
            "image_size": .integer(geometry.imageSize[0]),
            "patch_size": .integer(geometry.tubelet[1]),
            "num_frames": .integer(geometry.frames),
            "num_channels": .integer(geometry.channels),
            // Every inflated block has q, k and v biases: a ViT without them gets zero ones
            // (an exact rewrite the report lists).
            "qkv_bias": true,
            "torch_dtype": .string(HuggingFaceValues.torchDType(dtype)),
        ]
        if let classes = inflated.options.classes { object.merge(HuggingFaceValues.labels(classes)) { $1 } }
        return try JSONLiteral.fileData(object, file: inflated.path)
    }

    /// `preprocessor_config.json`: the image processor the Hub's TimeSformers use
    /// (`VideoMAEImageProcessor`), at the clip's size, with the ViT's input normalisation.
    /// Frames are resized so the shorter edge is the image size, then centre-cropped, as
    /// Kinetics fine-tuning does.
    public static func preprocessor(_ inflated: InflatedSource, normalisation: InputNormalisation) throws(CheckpointError) -> Data {
        let size = inflated.geometry.imageSize[0]
        let object: [String: JSONLiteral] = [
            "image_processor_type": "VideoMAEImageProcessor",
            "do_resize": true,
            "size": .object(["shortest_edge": .integer(size)]),
            "resample": 2,  // bilinear
            "do_center_crop": true,
            "crop_size": .object(["height": .integer(size), "width": .integer(size)]),
            "do_rescale": true,
            "rescale_factor": .number(1.0 / 255.0),
            "do_normalize": true,
            "image_mean": .array(normalisation.mean.map(JSONLiteral.number)),
            "image_std": .array(normalisation.std.map(JSONLiteral.number)),
        ]
        return try JSONLiteral.fileData(object, file: inflated.path)
    }
}
