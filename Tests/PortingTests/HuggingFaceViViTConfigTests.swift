import Foundation
import Testing
import TensorIO
@testable import Porting

@Suite("Hugging Face ViViT configs from a ViViT's architecture: VivitConfig and VivitImageProcessor fields, refusals, labels")
struct HuggingFaceViViTConfigTests {
    /// scenic's values for a ViViT, as a scenic source carries them (assumed family defaults).
    static let scenicValues = ModelValues(
        heads: Sourced(12, .stored),
        activation: Sourced("gelu_fast", .familyDefault(layout: "scenic")),
        layerNormEpsilon: Sourced(1e-6, .familyDefault(layout: "scenic")))

    /// The architecture of ViViT-B/16x2 inflated as `model` (400 classes), with the clip stated.
    static func architecture(_ model: VideoModel, clip: ViViTArchitecture.Clip = .init(frames: Sourced(32, .given)),
                             classifier: ViTArchitecture.Classifier? = nil) throws -> ViViTArchitecture {
        let match = try ViViTArchitectureTests.detect(ViViTArchitectureTests.vivit(model, classifier: classifier).tensors)
        return try ViViTArchitecture.infer(match, file: "vivit.npz", clip: clip)
    }

    static func object(_ data: Data) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("Model 1 as VivitForVideoClassification: every field from the architecture and the values, exactly")
    func classifierFields() throws {
        let fields = try HuggingFaceViViTConfig.fields(Self.architecture(.spacetime), modelClass: .vivitForVideoClassification,
                                                       values: Self.scenicValues, labels: nil, dtype: .float32, file: "vivit.npz")
        #expect(fields == HuggingFaceViViTConfig.Fields(
            modelClass: .vivitForVideoClassification, width: 768, depth: 12, heads: 12, mlpWidth: 3072,
            activation: "gelu_fast", layerNormEpsilon: 1e-6, imageSize: 224, frames: 32, tubelet: [2, 16, 16], channels: 3,
            labels: (0..<400).map { "LABEL_\($0)" }, dtype: .float32))
        let config = try Self.object(fields.data(file: "vivit.npz"))
        #expect(config["architectures"] as? [String] == ["VivitForVideoClassification"])
        #expect(config["model_type"] as? String == "vivit")
        #expect(config["num_frames"] as? Int == 32 && config["image_size"] as? Int == 224)
        #expect(config["tubelet_size"] as? [Int] == [2, 16, 16])
        #expect(config["hidden_size"] as? Int == 768 && config["num_hidden_layers"] as? Int == 12)
        #expect(config["num_attention_heads"] as? Int == 12 && config["intermediate_size"] as? Int == 3072)
        #expect(config["hidden_act"] as? String == "gelu_fast" && config["layer_norm_eps"] as? Double == 1e-6)
        #expect(config["qkv_bias"] as? Bool == true && config["torch_dtype"] as? String == "float32")
        #expect((config["id2label"] as? [String: String])?["399"] == "LABEL_399")
        #expect((config["label2id"] as? [String: Int])?["LABEL_7"] == 7)
    }

    @Test("The config a conversion writes from the tensors is byte for byte the one inflate writes for the same Model 1")
    func sameAsInflation() throws {
        var options = InflationOptions(model: .spacetime)
        options.classes = 400
        let inflated = try InflationTreeTests.inflate(options)
        let inflation = try HuggingFaceViViTConfig.make(inflated, values: Self.scenicValues, dtype: .float32)
        let conversion = try HuggingFaceViViTConfig.fields(Self.architecture(.spacetime), modelClass: .vivitForVideoClassification,
                                                           values: Self.scenicValues, labels: nil, dtype: .float32, file: "test")
            .data(file: "test")
        #expect(String(decoding: conversion, as: UTF8.self) == String(decoding: inflation, as: UTF8.self))
    }

    @Test("The clip from the image size alone: 3136 positions at 224 px are 16 temporal tokens, 32 frames")
    func clipFromImageSize() throws {
        let fields = try HuggingFaceViViTConfig.fields(Self.architecture(.spacetime, clip: .init(imageSize: Sourced(224, .given))),
                                                       modelClass: .vivitForVideoClassification, values: Self.scenicValues,
                                                       labels: nil, dtype: .bfloat16, file: "vivit.npz")
        #expect(fields.frames == 32 && fields.imageSize == 224)
        #expect(try Self.object(fields.data(file: "vivit.npz"))["torch_dtype"] as? String == "bfloat16")
    }

    @Test("VivitModel states no labels; class names given beside the weights are carried in order")
    func labels() throws {
        var headless = try Self.architecture(.spacetime)
        headless.classes = nil
        let model = try HuggingFaceViViTConfig.fields(headless, modelClass: .vivitModel, values: Self.scenicValues,
                                                      labels: nil, dtype: .float32, file: "vivit.npz")
        #expect(model.labels == nil)
        let config = try Self.object(model.data(file: "vivit.npz"))
        #expect(config["architectures"] as? [String] == ["VivitModel"] && config["id2label"] == nil)

        let names = (0..<400).map { "class \($0)" }
        let origin = ValueOrigin.configFile(path: "dir/config.json", field: "id2label")
        let carried = try HuggingFaceViViTConfig.fields(Self.architecture(.spacetime), modelClass: .vivitForVideoClassification,
                                                        values: Self.scenicValues, labels: Sourced(names, origin),
                                                        dtype: .float32, file: "vivit.npz")
        #expect(carried.labels == names)
        let error = try #require(throws: CheckpointError.self) {
            try HuggingFaceViViTConfig.fields(Self.architecture(.spacetime), modelClass: .vivitForVideoClassification,
                                              values: Self.scenicValues, labels: Sourced(["a", "b"], origin), dtype: .float32, file: "vivit.npz")
        }
        #expect(error.reason == "dir/config.json, id2label names 2 labels, but the classifier has 400 classes: it is another model's config")
    }

    @Test("Refused: Models 2 and 3 naming their scenic layout, a gap classifier, an unknown clip, no classifier, pre_logits")
    func refusals() throws {
        func refusal(_ architecture: ViViTArchitecture, _ modelClass: HuggingFaceClass = .vivitForVideoClassification) throws -> CheckpointError {
            try #require(throws: CheckpointError.self) {
                try HuggingFaceViViTConfig.fields(architecture, modelClass: modelClass, values: Self.scenicValues,
                                                  labels: nil, dtype: .float32, file: "vivit.npz")
            }
        }
        let model2 = try refusal(Self.architecture(.factorisedEncoder))
        #expect(model2.reason == "this is a ViViT Model 2 (factorised-encoder), and Hugging Face has only ViViT Model 1 (VivitModel, VivitForVideoClassification)")
        #expect(model2.fix?.contains("\(Setting.targetLayout.rawValue) scenic-vivit-factorised-encoder") == true)
        #expect(model2.settings.contains(.outputFormat))
        let model3 = try refusal(Self.architecture(.factorisedSelfAttention))
        #expect(model3.reason.hasPrefix("this is a ViViT Model 3 (factorised-self-attention)"))
        let gap = try refusal(Self.architecture(.spacetime, classifier: .gap))
        #expect(gap.reason.contains("(a gap classifier) does not have") && gap.tensor == "cls")
        let unknownClip = try refusal(Self.architecture(.spacetime, clip: .init()))
        #expect(unknownClip.settings == [.frames, .imageSize])
        #expect(unknownClip.reason.contains("store only as 3136 space-time positions"))
        var headless = try Self.architecture(.spacetime)
        headless.classes = nil
        let noClassifier = try refusal(headless)
        #expect(noClassifier.fix == "Convert \(Setting.targetLayout.rawValue) hf-vivit (VivitModel) instead")
        var preLogits = try Self.architecture(.spacetime)
        preLogits.hasPreLogits = true
        #expect(try refusal(preLogits).tensor == "pre_logits/kernel")
        #expect(throws: Never.self) {
            try HuggingFaceViViTConfig.fields(preLogits, modelClass: .vivitModel, values: Self.scenicValues,
                                              labels: nil, dtype: .float32, file: "vivit.npz")
        }
    }

    @Test("preprocessor_config.json: a VivitImageProcessor at the clip's size, [0, 1] pixels normalised by the evidence")
    func preprocessor() throws {
        let normalisation = InputNormalisation(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], origin: .given)
        let data = try HuggingFaceViViTConfig.preprocessor(frames: 32, imageSize: 224, normalisation: normalisation, file: "x")
        let object = try Self.object(data)
        // The shortest text that reads back as 1/255 (Swift's parse is correctly rounded;
        // JSONSerialization's need not be).
        let rescale = try #require(String(decoding: data, as: UTF8.self).firstMatch(of: /"rescale_factor" : ([0-9.e-]+)/)?.1)
        #expect(rescale == "0.00392156862745098" && Double(rescale) == 1.0 / 255.0)
        #expect(object["image_processor_type"] as? String == "VivitImageProcessor")
        #expect(object["num_frames"] as? Int == 32)
        #expect(object["size"] as? [String: Int] == ["shortest_edge": 224])
        #expect(object["crop_size"] as? [String: Int] == ["height": 224, "width": 224])
        #expect(object["offset"] as? Bool == false)
        #expect(object["do_rescale"] as? Bool == true && object["do_normalize"] as? Bool == true && object["resample"] as? Int == 2)
        #expect(object["image_mean"] as? [Double] == [0.485, 0.456, 0.406] && object["image_std"] as? [Double] == [0.229, 0.224, 0.225])
    }

    @Test("id2label is read in index order, and only when its keys are exactly 0..<n")
    func sourceLabels() {
        let config = SourceConfig.parse(Data(#"{"num_frames": 8, "id2label": {"1": "b", "0": "a", "2": "c"}}"#.utf8), path: "c.json")
        #expect(config?.labels == Sourced(["a", "b", "c"], .configFile(path: "c.json", field: "id2label")))
        let gap = SourceConfig.parse(Data(#"{"num_frames": 8, "id2label": {"0": "a", "2": "c"}}"#.utf8), path: "c.json")
        #expect(gap?.labels == nil)
    }

    @Test("A ViT and a ViViT, or two ViViT models, differ in kind; Models 1 and 1-or-4 do not")
    func kinds() throws {
        let model1 = ModelKind.video(try Self.architecture(.spacetime))
        let model2 = ModelKind.video(try Self.architecture(.factorisedEncoder))
        let either = ModelKind.video(try Self.architecture(.factorisedDotProduct, clip: .init()))
        let vit = ModelKind.image(try ViTArchitecture.infer(ShapeOnlySource.vitB16().tensors, file: "vit", heads: .stored(12)))
        #expect(ModelKind.difference(model1, vit) == "A is a ViViT Model 1 (spacetime) with tubelet 2x16x16 and 32 frames, B is a ViT-B/16 image model at 224 px; compare like with like, or inflate B first")
        #expect(ModelKind.difference(vit, model1)?.hasSuffix("compare like with like, or inflate A first") == true)
        #expect(ModelKind.difference(model1, model2)?.contains("different ViViT models share no encoder layout") == true)
        #expect(either.description == "a ViViT Model 1 or 4 (spacetime or factorised-dot-product: the same tensors) with tubelet 2x16x16 and 3136 space-time positions")
        #expect(ModelKind.difference(model1, either) == nil)
        #expect(ModelKind.difference(vit, vit) == nil)
        #expect(model2.layouts == ["scenic-vivit-factorised-encoder"])
        #expect(model1.layouts?.first == "scenic" && vit.layouts == nil)
    }
}
