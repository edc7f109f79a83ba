import Foundation
import Testing
import TensorIO
@testable import Porting

@Suite("ViViT architecture and layouts: what the tensors of each model say")
struct ViViTArchitectureTests {
    static let library: SchemaLibrary = {
        do { return try SchemaLibrary.builtin() } catch { fatalError("built-in schemas do not load: \(error)") }
    }()

    /// ViViT-B/16x2 at 32 frames, 224 px (ViT-B/16 inflated), under `prefix`, with an Adam
    /// TrainState's moments beside it when `prefix` is `params/`.
    static func vivit(_ model: VideoModel, temporalLayers: Int = 4, classifier: ViTArchitecture.Classifier? = nil,
                      prefix: String = "") throws -> (tensors: [TensorInfo], inflated: InflatedSource) {
        var options = InflationOptions(model: model)
        options.classes = 400
        options.temporalLayers = temporalLayers
        options.classifier = classifier
        let inflated = try InflationTreeTests.inflate(options)
        var tensors = inflated.tensors.map { TensorInfo(name: prefix + $0.name, dtype: $0.dtype, shape: $0.shape) }
        if prefix == "params/" {
            for moment in ["mu", "nu"] {
                tensors += inflated.tensors.map { TensorInfo(name: "opt_state/0/\(moment)/" + $0.name, dtype: $0.dtype, shape: $0.shape) }
            }
            tensors += [TensorInfo(name: "opt_state/0/count", dtype: .int32, shape: []), TensorInfo(name: "step", dtype: .int32, shape: [])]
        }
        return (tensors, inflated)
    }

    static func detect(_ tensors: [TensorInfo]) throws -> LayoutMatch {
        let match = LayoutDetector(library: library).rank(tensors)[0]
        #expect(match.isFull, "\(LayoutDetector.explain(match))")
        return match
    }

    @Test("Each model's scenic tree is detected, under each prefix real checkpoints use, optimizer moments counted outside",
          arguments: VideoModel.allCases.filter { $0 != .timesformer }, ["", "params/", "optimizer/target/"])
    func detection(model: VideoModel, prefix: String) throws {
        let (tensors, inflated) = try Self.vivit(model, prefix: prefix)
        let match = try Self.detect(tensors)
        let expected = switch model {
        case .spacetime, .factorisedDotProduct: "scenic"
        case .factorisedEncoder: "scenic-vivit-factorised-encoder"
        case .factorisedSelfAttention: "scenic-vivit-factorised-self-attention"
        case .timesformer: "hf-timesformer"  // not among the arguments: scenic builds no TimeSformer
        }
        #expect(match.schema.name == expected)
        #expect(match.prefix == prefix)
        #expect(match.outside.count == (prefix == "params/" ? 2 * inflated.tensors.count + 2 : 0))
        #expect(match.canonicalTensors.map(\.name).sorted() == inflated.tensors.map(\.name).sorted())
    }

    @Test("Model 1 (token): everything but the clip, which the tensors store only as nt·gh·gw = 3136")
    func model1() throws {
        let match = try Self.detect(Self.vivit(.spacetime).tensors)
        let architecture = try ViViTArchitecture.infer(match, file: "m1")
        #expect(architecture == ViViTArchitecture(
            model: .spacetime, candidateModels: [.spacetime], tubelet: [2, 16, 16], channels: 3, positions: 3136,
            temporalTokens: nil, grid: nil, frames: nil, imageSize: nil, clipOrigin: nil,
            width: 768, depth: 12, heads: 12, mlpWidth: 3072, temporalLayers: 0, temporalHeads: nil, temporalMlpWidth: nil,
            classifier: .token, hasPreLogits: false, classes: 400))
        #expect(architecture.summary.contains("frames and image size not stored (3136 space-time positions)"))
    }

    @Test("The clip comes from frames or image size stated beside the tensors, with its origin")
    func clip() throws {
        let match = try Self.detect(Self.vivit(.spacetime).tensors)
        for clip in [ViViTArchitecture.Clip(frames: Sourced(32, .given)), ViViTArchitecture.Clip(imageSize: Sourced(224, .given)),
                     ViViTArchitecture.Clip(frames: Sourced(33, .given), imageSize: Sourced(224, .given))] {
            let architecture = try ViViTArchitecture.infer(match, file: "m1", clip: clip)
            #expect(architecture.temporalTokens == 16 && architecture.grid == [14, 14] && architecture.imageSize == [224, 224])
            #expect(architecture.frames == (clip.frames?.value ?? 32))
            #expect(architecture.clipOrigin == .given)
        }
        let config = ValueOrigin.configFile(path: "dir/config.json", field: "num_frames")
        #expect(throws: CheckpointError.self) {
            try ViViTArchitecture.infer(match, file: "m1", clip: .init(frames: Sourced(30, config)))  // 15 does not divide 3136
        }
        #expect(throws: CheckpointError.self) {
            try ViViTArchitecture.infer(match, file: "m1", clip: .init(frames: Sourced(8, .given), imageSize: Sourced(224, .given)))
        }
        #expect(throws: CheckpointError.self) {  // a config of another model
            try ViViTArchitecture.infer(match, file: "m1", clip: .init(tubelet: Sourced([4, 16, 16], config)))
        }
    }

    @Test("Model 2: both positional embeddings give the clip; the temporal transformer has its own depth")
    func model2() throws {
        let (tensors, inflated) = try Self.vivit(.factorisedEncoder, temporalLayers: 5, prefix: "optimizer/target/")
        let match = try Self.detect(tensors)
        #expect(match.depth == 12 && match.temporalDepth == 5)
        let architecture = try ViViTArchitecture.infer(match, file: "m2")
        #expect(architecture.model == .factorisedEncoder)
        #expect(architecture.temporalTokens == 16 && architecture.frames == 32 && architecture.grid == [14, 14])
        #expect(architecture.imageSize == [224, 224] && architecture.clipOrigin == .stored && architecture.positions == 196)
        #expect(architecture.depth == 12 && architecture.temporalLayers == 5 && architecture.temporalHeads == 12)
        #expect(architecture.temporalMlpWidth == 3072 && architecture.classifier == .token && architecture.classes == 400)
        // Written back through its schema, the temporal blocks are found from the canonical names.
        let schema = try Self.library.schema(named: "scenic-vivit-factorised-encoder")
        let written = try LayoutSource(inflated, schema: schema, depth: 12)
        #expect(written.tensors.map(\.name).sorted() == inflated.tensors.map(\.name).sorted())
    }

    @Test("Model 3: its own block names, no CLS token")
    func model3() throws {
        let architecture = try ViViTArchitecture.infer(Self.detect(Self.vivit(.factorisedSelfAttention).tensors), file: "m3")
        #expect(architecture.model == .factorisedSelfAttention && architecture.classifier == .gap)
        #expect(architecture.depth == 12 && architecture.heads == 12 && architecture.mlpWidth == 3072 && architecture.positions == 3136)
    }

    @Test("Models 1 (gap) and 4 have the same tensors: both are named, neither is picked")
    func model1or4() throws {
        let model4 = try ViViTArchitecture.infer(Self.detect(Self.vivit(.factorisedDotProduct).tensors), file: "m4")
        #expect(model4.model == nil && model4.candidateModels == [.spacetime, .factorisedDotProduct])
        #expect(model4.summary.hasPrefix("ViViT Model 1 or 4"))
        let gap = try ViViTArchitecture.infer(Self.detect(Self.vivit(.spacetime, classifier: .gap).tensors), file: "m1")
        #expect(gap.candidateModels == [.spacetime, .factorisedDotProduct])
    }

    @Test("Inflating a ViViT is refused naming the model; a Model 2 with half a temporal transformer is malformed")
    func refusals() throws {
        let tensors = try Self.vivit(.factorisedEncoder).inflated.tensors
        do {
            _ = try ViTArchitecture.infer(tensors, file: "m2", heads: .stored(12))
            Issue.record("a ViViT was taken for an image ViT")
        } catch {
            #expect(error.reason.hasPrefix("this is already a ViViT Model 2 (factorised-encoder) (a [2, 16, 16, 3, 768] tubelet kernel)"))
        }
        for part in ["TemporalTransformer/encoder_norm/scale", "TemporalTransformer/posembed_input/pos_embedding"] {
            #expect(throws: CheckpointError.self) {
                try ViViTArchitecture.infer(tensors.filter { $0.name != part }, file: "m2", heads: .stored(12))
            }
        }
        let spatialOnly = tensors.filter { !$0.name.contains("TemporalTransformer") }
        let baseline = try ViViTArchitecture.infer(spatialOnly, file: "m2", heads: .stored(12))
        #expect(baseline.temporalLayers == 0 && baseline.frames == nil && baseline.grid == [14, 14])
        #expect(baseline.summary.contains("224 px, frames not stored (no temporal positional embedding)"))
    }

    @Test("An image ViT is no ViViT")
    func imageViT() throws {
        #expect(!ViViTArchitecture.isViViT(ShapeOnlySource.vitB16().tensors))
        #expect(ViViTArchitecture.isViViT(try Self.vivit(.spacetime).tensors))
    }

    @Test("{j} is the second stack's block index, counted apart; a rule cannot mix it with {i}")
    func temporalPlaceholder() throws {
        let pattern = NamePattern("TemporalTransformer/encoderblock_{j}/LayerNorm_0/scale")
        #expect(pattern.isPerBlock && pattern.isTemporalBlock)
        #expect(pattern.match("TemporalTransformer/encoderblock_7/LayerNorm_0/scale") == 7)
        #expect(pattern.name(block: 3) == "TemporalTransformer/encoderblock_3/LayerNorm_0/scale")
        #expect(!NamePattern("blocks.{i}.x").isTemporalBlock)
        for json in [#"{"name": "a_{i}_{j}", "canonical": "b_{i}_{j}"}"#, #"{"name": "a_{j}", "canonical": "b_{i}"}"#] {
            let rule = try JSONDecoder().decode(TensorRule.self, from: Data(json.utf8))
            #expect(throws: TensorRule.Invalid.self) { try rule.validate() }
        }
    }

    @Test("An image size too large to square (a config file states it) is refused, not an overflow")
    func hugeStatedImageSize() {
        let clip = ViViTArchitecture.Clip(imageSize: Sourced(Int.max, .given))
        #expect(throws: CheckpointError.self) {
            try ViViTArchitecture.split(positions: 64, tubelet: [2, 1, 1], clip: clip, file: "f", tensor: "t")
        }
    }
}
