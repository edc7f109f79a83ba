import FoundationEssentials
import TensorIO

/// `config.json` of a Hugging Face `VivitForVideoClassification` or `VivitModel` (ViViT
/// Model 1, the only one transformers has), and its `preprocessor_config.json`: for an
/// inflated Model 1, and for a ViViT checkpoint converted from another layout (scenic's Model 1
/// tree, or another Hugging Face ViViT), from its ``ViViTArchitecture``.
///
/// What the weights do not store is never guessed: the clip (frames and image size: Model 1
/// stores only their product of positions) comes from a config file or the caller, the
/// activation and epsilon from ``ModelValues``, the input normalisation from evidence only.
public enum HuggingFaceViViTConfig {
    /// The transformers class an inflation is written for: with a classifier (`--classes`)
    /// `VivitForVideoClassification`, without one the headless `VivitModel`.
    public static func modelClass(_ options: InflationOptions) -> HuggingFaceClass {
        options.classes == nil ? .vivitModel : .vivitForVideoClassification
    }

    /// The built-in layout of that class.
    public static func layout(_ options: InflationOptions) -> String {
        options.classes == nil ? "hf-vivit" : "hf-vivit-classifier"
    }

    /// What a `VivitConfig` states, in transformers' terms.
    public struct Fields: Sendable, Equatable {
        public var modelClass: HuggingFaceClass
        public var width: Int
        public var depth: Int
        public var heads: Int
        public var mlpWidth: Int
        public var activation: String
        public var layerNormEpsilon: Double
        /// The square frame size in pixels (`image_size`).
        public var imageSize: Int
        public var frames: Int
        /// `[t, h, w]` (`tubelet_size`).
        public var tubelet: [Int]
        public var channels: Int
        /// `id2label` in index order; nil for `VivitModel`.
        public var labels: [String]?
        public var dtype: DType

        /// The config file's bytes (sorted keys, as every config Tubelet writes).
        public func data(file: String) throws(CheckpointError) -> Data {
            var object: [String: JSONLiteral] = [
                "architectures": [.string(modelClass.rawValue)],
                "model_type": .string(modelClass.modelType),
                "hidden_size": .integer(width),
                "num_hidden_layers": .integer(depth),
                "num_attention_heads": .integer(heads),
                "intermediate_size": .integer(mlpWidth),
                "hidden_act": .string(activation),
                "hidden_dropout_prob": 0.0,
                "attention_probs_dropout_prob": 0.0,
                "initializer_range": 0.02,
                "layer_norm_eps": .number(layerNormEpsilon),
                "image_size": .integer(imageSize),
                "num_frames": .integer(frames),
                "tubelet_size": .array(tubelet.map(JSONLiteral.integer)),
                "num_channels": .integer(channels),
                // Every scenic and inflated block has q, k and v biases.
                "qkv_bias": true,
                "torch_dtype": .string(HuggingFaceValues.torchDType(dtype)),
            ]
            if let labels { object.merge(HuggingFaceValues.labels(labels)) { $1 } }
            return try JSONLiteral.fileData(object, file: file)
        }
    }

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
        guard geometry.imageSize[0] == geometry.imageSize[1] else {
            throw CheckpointError(.unsupported, file: inflated.path, "Hugging Face's ViViT takes square images only")
        }
        let heads = try architecture.requireHeads(file: inflated.path, purpose: "A Hugging Face config (num_attention_heads)")
        let (activation, layerNormEpsilon) = try HuggingFaceValues.activationAndEpsilon(values, file: inflated.path)
        return try Fields(modelClass: modelClass(options), width: architecture.width, depth: architecture.depth, heads: heads,
                          mlpWidth: architecture.mlpWidth, activation: activation, layerNormEpsilon: layerNormEpsilon,
                          imageSize: geometry.imageSize[0], frames: geometry.frames, tubelet: geometry.tubelet,
                          channels: geometry.channels, labels: options.classes.map(HuggingFaceValues.anonymousLabels), dtype: dtype)
            .data(file: inflated.path)
    }

    /// The config fields for writing the ViViT `architecture` (read from `file`) as
    /// `modelClass`, or the reason it cannot be: another model than Model 1, a gap classifier,
    /// a clip nothing states, no classifier for `VivitForVideoClassification` or a pre_logits
    /// layer it would drop.
    /// - Parameter labels: the class names a config beside the source gives, if any (else
    ///   `LABEL_i`); their count must be the classifier's.
    public static func fields(_ architecture: ViViTArchitecture, modelClass: HuggingFaceClass, values: ModelValues,
                              labels: Sourced<[String]>?, dtype: DType, file: String) throws(CheckpointError) -> Fields {
        try requireModel1(architecture, file: file)
        guard let frames = architecture.frames, let imageSize = architecture.imageSize else {
            throw CheckpointError(.invalidRequest, file: file, tensor: "Transformer/posembed_input/pos_embedding",
                "a Hugging Face ViViT config states the clip (num_frames, image_size), which Model 1's weights store only as \(architecture.positions) space-time positions, and no config.json beside them says",
                fix: "Pass \(setting: .frames) N or \(setting: .imageSize) N (the clip the model was trained on), or put the model's config.json beside it")
        }
        guard imageSize[0] == imageSize[1], architecture.tubelet[1] == architecture.tubelet[2] else {
            throw CheckpointError(.unsupported, file: file, tensor: "embedding/kernel",
                "Hugging Face's ViViT takes square images and patches only, not \(imageSize[0])x\(imageSize[1]) px in \(architecture.tubelet[1])x\(architecture.tubelet[2]) patches",
                fix: "Write a file format instead of \(setting: .outputFormat) hf")
        }
        var names: [String]?
        if modelClass == .vivitForVideoClassification {
            guard let classes = architecture.classes else {
                throw CheckpointError(.invalidRequest, file: file,
                    "VivitForVideoClassification needs a classifier (output_projection), which this ViViT does not have",
                    fix: "Convert \(setting: .targetLayout) hf-vivit (VivitModel) instead")
            }
            guard !architecture.hasPreLogits else {
                throw CheckpointError(.unsupported, file: file, tensor: "pre_logits/kernel",
                    "VivitForVideoClassification has no pre_logits layer: transformers would drop it and compute other logits",
                    fix: "Convert \(setting: .targetLayout) hf-vivit (VivitModel, whose pooler is the pre_logits layer) and put the classifier on top of it")
            }
            if let labels, labels.value.count != classes {
                throw CheckpointError(.invalidRequest, file: file, tensor: "output_projection/kernel",
                    "\(labels.origin.basis) names \(labels.value.count) labels, but the classifier has \(classes) classes: it is another model's config",
                    fix: "Correct or remove the config file")
            }
            names = labels?.value ?? HuggingFaceValues.anonymousLabels(classes)
        }
        guard let heads = architecture.heads else {
            throw CheckpointError(.invalidRequest, file: file,
                "a Hugging Face config states num_attention_heads, which this layout does not store (attention is [\(architecture.width), \(architecture.width)]) and no config file gives",
                fix: SettingText.headCountFix)
        }
        let (activation, layerNormEpsilon) = try HuggingFaceValues.activationAndEpsilon(values, file: file)
        return Fields(modelClass: modelClass, width: architecture.width, depth: architecture.depth, heads: heads,
                      mlpWidth: architecture.mlpWidth, activation: activation, layerNormEpsilon: layerNormEpsilon,
                      imageSize: imageSize[0], frames: frames, tubelet: architecture.tubelet, channels: architecture.channels,
                      labels: names, dtype: dtype)
    }

    /// Models 2-4 have no transformers class, and transformers' ViViT pools its CLS token.
    static func requireModel1(_ architecture: ViViTArchitecture, file: String) throws(CheckpointError) {
        if let model = architecture.model, model != .spacetime {
            throw CheckpointError(.unsupported, file: file,
                "this is a \(architecture.modelName), and Hugging Face has only ViViT Model 1 (VivitModel, VivitForVideoClassification)",
                fix: "Write it as a file instead of \(setting: .outputFormat) hf: npz or msgpack keep scenic's tree (\(setting: .targetLayout) \(model.scenicLayout ?? "scenic")); hdf5, safetensors and pth hold it too")
        }
        guard architecture.classifier == .token else {
            throw CheckpointError(.unsupported, file: file, tensor: "cls",
                "Hugging Face's ViViT pools with a CLS token, which this \(architecture.modelName) (a gap classifier) does not have",
                fix: "Write it as a file instead of \(setting: .outputFormat) hf (npz, msgpack, hdf5, safetensors or pth)")
        }
    }

    /// `preprocessor_config.json`: a `VivitImageProcessor` for the clip (`frames` frames of
    /// `imageSize` px: the shorter edge resized to it, then centre-cropped) with the input
    /// normalisation, stated in [0, 1] units as Hugging Face and timm configs state it (pixels
    /// rescaled by 1/255 without the processor's default offset into [-1, 1]).
    public static func preprocessor(frames: Int, imageSize: Int, normalisation: InputNormalisation,
                                    file: String) throws(CheckpointError) -> Data {
        let object: [String: JSONLiteral] = [
            "image_processor_type": "VivitImageProcessor",
            "num_frames": .integer(frames),
            "do_resize": true,
            "size": .object(["shortest_edge": .integer(imageSize)]),
            "resample": 2,  // bilinear
            "do_center_crop": true,
            "crop_size": .object(["height": .integer(imageSize), "width": .integer(imageSize)]),
            "do_rescale": true,
            "rescale_factor": .number(1.0 / 255.0),
            "offset": false,
            "do_normalize": true,
            "image_mean": .array(normalisation.mean.map(JSONLiteral.number)),
            "image_std": .array(normalisation.std.map(JSONLiteral.number)),
        ]
        return try JSONLiteral.fileData(object, file: file)
    }
}
