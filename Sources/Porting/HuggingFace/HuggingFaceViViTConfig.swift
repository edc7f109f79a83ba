import FoundationEssentials
import Porting
import TensorIO

/// `config.json` of a Hugging Face `VivitForVideoClassification` for an inflated Model 1.
enum HuggingFaceConfig {
    /// - Parameter values: the source's activation and epsilon, so the video model computes
    ///   what the ViT did.
    static func vivit(_ inflated: InflatedSource, values: ModelValues, dtype: DType) throws(CheckpointError) -> Data {
        let options = inflated.options
        let geometry = inflated.geometry
        let architecture = inflated.architecture
        guard options.model == .spacetime else {
            throw CheckpointError(.unsupported, file: inflated.path,
                "Hugging Face has only ViViT Model 1 (VivitForVideoClassification); Model \(options.model.number) cannot be written as hf",
                fix: "Use --model spacetime, or write hdf5, npz, safetensors or pth")
        }
        guard inflated.config.classifier == ViTArchitecture.Classifier.token.rawValue else {
            throw CheckpointError(.unsupported, file: inflated.path,
                "Hugging Face's ViViT pools with a CLS token, which this inflation (a gap classifier) does not have",
                fix: "Pass --classifier token (a ViT without one gets scenic's fresh CLS token), or write hdf5, npz, safetensors or pth")
        }
        guard let classes = options.classes else {
            throw CheckpointError(.invalidRequest, file: inflated.path,
                "VivitForVideoClassification needs a classifier", fix: "Pass --classes N")
        }
        guard geometry.imageSize[0] == geometry.imageSize[1] else {
            throw CheckpointError(.unsupported, file: inflated.path, "Hugging Face's ViViT takes square images only")
        }
        let heads = try architecture.requireHeads(file: inflated.path, purpose: "A Hugging Face config (num_attention_heads)")
        let (activation, layerNormEpsilon) = try activationAndEpsilon(values, file: inflated.path)
        let labels = (0..<classes).map { "LABEL_\($0)" }
        let object: [String: JSONLiteral] = [
            "architectures": ["VivitForVideoClassification"],
            "model_type": "vivit",
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
            "id2label": .object(Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0.offset), .string($0.element)) })),
            "label2id": .object(Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, .integer($0.offset)) })),
            "torch_dtype": .string(dtype == .float16 ? "float16" : dtype == .bfloat16 ? "bfloat16" : "float32"),
        ]
        return try JSONLiteral.fileData(object, file: inflated.path)
    }

    /// The activation and epsilon a Hugging Face config must state, or an error when nothing
    /// gives them (a `--schema` layout without them, no config.json, no option).
    static func activationAndEpsilon(_ values: ModelValues, file: String) throws(CheckpointError) -> (String, Double) {
        guard let activation = values.activation?.value else {
            throw CheckpointError(.invalidRequest, file: file,
                "a Hugging Face config states the MLP activation, which neither the weights, a config.json beside them nor the layout says",
                fix: "Pass --activation (gelu, gelu_pytorch_tanh, gelu_fast, quick_gelu…)")
        }
        guard let epsilon = values.layerNormEpsilon?.value else {
            throw CheckpointError(.invalidRequest, file: file,
                "a Hugging Face config states the LayerNorm epsilon, which neither the weights, a config.json beside them nor the layout says",
                fix: "Pass --layer-norm-eps (1e-6 for most ViT families)")
        }
        return (activation, epsilon)
    }
}
