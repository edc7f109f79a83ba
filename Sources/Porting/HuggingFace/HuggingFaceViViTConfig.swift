import FoundationEssentials
import TensorIO

/// `config.json` of a Hugging Face `VivitForVideoClassification` for an inflated Model 1.
///
/// Beside it, a converter from a ViViT checkpoint (scenic's Model 1) can make the same config
/// from the ViViT's own architecture.
public enum HuggingFaceViViTConfig {
    /// The transformers class this config is for.
    public static let modelClass = HuggingFaceClass.vivitForVideoClassification

    /// The config of `inflated` written in `dtype`.
    /// - Parameter values: the source's activation and epsilon, so the video model computes
    ///   what the ViT did.
    public static func make(_ inflated: InflatedSource, values: ModelValues, dtype: DType) throws(CheckpointError) -> Data {
        let options = inflated.options
        let geometry = inflated.geometry
        let architecture = inflated.architecture
        guard options.model == .spacetime else {
            throw CheckpointError(.unsupported, file: inflated.path,
                "Hugging Face has only ViViT Model 1 (VivitForVideoClassification); \(options.model.title) cannot be written as hf",
                fix: "Use \(setting: .model) spacetime, or write hdf5, npz, safetensors or pth")
        }
        guard inflated.config.classifier == ViTArchitecture.Classifier.token.rawValue else {
            throw CheckpointError(.unsupported, file: inflated.path,
                "Hugging Face's ViViT pools with a CLS token, which this inflation (a gap classifier) does not have",
                fix: "Pass \(setting: .classifier) token (a ViT without one gets scenic's fresh CLS token), or write hdf5, npz, safetensors or pth")
        }
        guard let classes = options.classes else {
            throw CheckpointError(.invalidRequest, file: inflated.path,
                "VivitForVideoClassification needs a classifier", fix: "Pass \(setting: .classes) N")
        }
        guard geometry.imageSize[0] == geometry.imageSize[1] else {
            throw CheckpointError(.unsupported, file: inflated.path, "Hugging Face's ViViT takes square images only")
        }
        let heads = try architecture.requireHeads(file: inflated.path, purpose: "A Hugging Face config (num_attention_heads)")
        let (activation, layerNormEpsilon) = try HuggingFaceValues.activationAndEpsilon(values, file: inflated.path)
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
            "layer_norm_eps": .number(layerNormEpsilon),
            "image_size": .integer(geometry.imageSize[0]),
            "num_frames": .integer(geometry.frames),
            "tubelet_size": .array(geometry.tubelet.map(JSONLiteral.integer)),
            "num_channels": .integer(geometry.channels),
            "qkv_bias": true,
            "torch_dtype": .string(HuggingFaceValues.torchDType(dtype)),
        ]
        object.merge(HuggingFaceValues.labels(classes)) { $1 }
        return try JSONLiteral.fileData(object, file: inflated.path)
    }
}
