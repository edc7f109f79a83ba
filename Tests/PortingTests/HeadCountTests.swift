import Foundation
import Testing
import TensorIO
@testable import Porting

/// The head count is never guessed: it comes from the shapes, a config, the caller or an
/// unambiguous standard configuration, and whatever depends on it is refused without one.
@Suite("Head counts: evidence, never a guess")
struct HeadCountTests {
    static let library: SchemaLibrary = {
        do { return try SchemaLibrary.builtin() } catch { fatalError("built-in schemas do not load: \(error)") }
    }()

    /// The names and shapes of a timm ViT state dict (no data: detection reads none).
    static func timmInfos(width: Int, depth: Int, mlp: Int, patch: Int, grid: Int = 2, classes: Int = 10) -> [TensorInfo] {
        var shapes: [(String, [Int])] = [
            ("patch_embed.proj.weight", [width, 3, patch, patch]), ("patch_embed.proj.bias", [width]),
            ("cls_token", [1, 1, width]), ("pos_embed", [1, grid * grid + 1, width]),
        ]
        for block in 0..<depth {
            let p = "blocks.\(block)."
            shapes += [
                (p + "norm1.weight", [width]), (p + "norm1.bias", [width]),
                (p + "attn.qkv.weight", [3 * width, width]), (p + "attn.qkv.bias", [3 * width]),
                (p + "attn.proj.weight", [width, width]), (p + "attn.proj.bias", [width]),
                (p + "norm2.weight", [width]), (p + "norm2.bias", [width]),
                (p + "mlp.fc1.weight", [mlp, width]), (p + "mlp.fc1.bias", [mlp]),
                (p + "mlp.fc2.weight", [width, mlp]), (p + "mlp.fc2.bias", [width]),
            ]
        }
        shapes += [("norm.weight", [width]), ("norm.bias", [width]), ("head.weight", [classes, width]), ("head.bias", [classes])]
        return shapes.map { TensorInfo(name: $0.0, dtype: .float32, shape: $0.1) }
    }

    static func bestMatch(_ infos: [TensorInfo], heads: Sourced<Int>? = nil) throws -> LayoutMatch {
        let best = try #require(LayoutDetector(library: library, heads: heads).rank(infos).first)
        #expect(best.isFull)
        #expect(best.schema.name == "timm")
        return best
    }

    @Test("ViT-H/14 and ViT-g/14 at full size have 16 heads, from the standard table, marked assumed")
    func standardTable() throws {
        for (width, depth, mlp, name) in [(1280, 32, 5120, "ViT-H/14"), (1408, 40, 6144, "ViT-g/14")] {
            let match = try Self.bestMatch(Self.timmInfos(width: width, depth: depth, mlp: mlp, patch: 14))
            #expect(match.headCount == .resolved(Sourced(16, .standardConfiguration(name))))
            let architecture = try ViTArchitecture.infer(match, file: "x")
            #expect(architecture.heads == 16)
            #expect(match.canonicalTensors.first { $0.name.hasSuffix("encoderblock_0/MultiHeadDotProductAttention_0/query/kernel") }?.shape
                    == [width, 16, width / 16])
            #expect(ValueOrigin.standardConfiguration(name).isAssumed)
        }
    }

    @Test("Width 1536 alone settles nothing: SigLIP 2 giant (16 heads) by its full key, anything else unknown")
    func sharedWidth() throws {
        let siglip = try Self.bestMatch(Self.timmInfos(width: 1536, depth: 40, mlp: 6144, patch: 16))
        #expect(siglip.heads == 16)
        let other = try Self.bestMatch(Self.timmInfos(width: 1536, depth: 40, mlp: 6144, patch: 14))
        #expect(other.headCount == .unknown)
    }

    @Test("Real widths at small depth have no standard head count: unknown, and inflation is refused")
    func unknownRefused() throws {
        let match = try Self.bestMatch(Self.timmInfos(width: 1280, depth: 2, mlp: 5120, patch: 14))
        #expect(match.headCount == .unknown)
        let architecture = try ViTArchitecture.infer(match, file: "huge.safetensors")
        #expect(architecture.heads == nil)
        #expect(architecture.summary.contains("heads not stored"))
        do {
            _ = try Inflater.inflate(ShapeOnlySource(match.canonicalTensors), architecture: architecture, layout: "timm",
                                     options: InflationOptions(model: .spacetime))
            Issue.record("inflation of a ViT with an unknown head count was not refused")
        } catch {
            #expect(error.fixText == SettingText.headCountFix && error.settings.contains(.heads))
            #expect(error.reason.contains("number of attention heads"))
        }
    }

    @Test("A head count from a config or the caller is used and keeps its origin")
    func givenHeads() throws {
        let origin = ValueOrigin.configFile(path: "config.json", field: "num_attention_heads")
        let match = try Self.bestMatch(Self.timmInfos(width: 1280, depth: 2, mlp: 5120, patch: 14), heads: Sourced(16, origin))
        #expect(match.headCount == .resolved(Sourced(16, origin)))
        #expect(!origin.isAssumed)
    }

    @Test("A given head count that the stored shapes contradict is recorded, never silently ignored")
    func contradiction() throws {
        let file = try LayoutRoundTripTests.written(in: "vision_transformer", CanonicalViTFixture.make())
        let match = try LayoutDetector(library: Self.library, heads: 4).detect(file)
        #expect(match.headCount == .stored(CanonicalViTFixture.heads))
        #expect(match.contradictedHeads == Sourced(4, .given))
        let agreeing = try LayoutDetector(library: Self.library, heads: CanonicalViTFixture.heads).detect(file)
        #expect(agreeing.contradictedHeads == nil)
    }

    @Test("Without a head count, a [D, D] layout still converts to another [D, D] layout bit for bit")
    func placeholderIsExact() throws {
        let file = try LayoutRoundTripTests.written(in: "timm", CanonicalViTFixture.make())
        let match = try LayoutDetector(library: Self.library).detect(file)
        #expect(match.headCount == .unknown)
        let hf = try CanonicalViTFixture.materialise(
            LayoutSource(CanonicalSource(file, match: match), schema: Self.library.schema(named: "hf-vit-classifier"), depth: match.depth))
        let back = try LayoutDetector(library: Self.library).detect(hf)
        let timm = try LayoutSource(CanonicalSource(hf, match: back), schema: Self.library.schema(named: "timm"), depth: back.depth)
        for info in file.tensors {
            #expect(try timm.read(info.name).bytes.array == file.read(info.name).bytes.array, "\(info.name)")
        }
    }

    @Test("The standard table answers only for one configuration's full key")
    func table() {
        #expect(StandardViT.heads(width: 768, depth: 12, mlpWidth: 3072, patch: 16)?.heads == 12)
        #expect(StandardViT.heads(width: 1152, depth: 27, mlpWidth: 4304, patch: 14)?.name == "SigLIP So400m/14")
        #expect(StandardViT.heads(width: 768, depth: 12, mlpWidth: 3072, patch: 15) == nil)
        #expect(StandardViT.heads(width: 1280, depth: 24, mlpWidth: 5120, patch: 14) == nil)
    }

    @Test("Hugging Face and timm config files give heads, activation and epsilon with their fields")
    func configFiles() throws {
        let hf = try #require(SourceConfig.parse(Data(#"{"model_type": "vit", "num_attention_heads": 16, "hidden_act": "gelu", "layer_norm_eps": 1e-12}"#.utf8), path: "c.json"))
        #expect(hf.heads == Sourced(16, .configFile(path: "c.json", field: "num_attention_heads")))
        #expect(hf.activation?.value == "gelu")
        #expect(hf.layerNormEpsilon?.value == 1e-12)

        let timmArguments = try #require(SourceConfig.parse(Data(#"{"architecture": "vit_base_patch16_224", "num_features": 768, "model_args": {"num_heads": 4, "act_layer": "gelu_tanh"}}"#.utf8), path: "t.json"))
        #expect(timmArguments.heads == Sourced(4, .configFile(path: "t.json", field: "model_args.num_heads")))
        #expect(timmArguments.activation?.value == "gelu_pytorch_tanh")

        let huge = try #require(SourceConfig.parse(Data(#"{"architecture": "vit_huge_patch14_clip_224", "num_features": 1280, "pretrained_cfg": {"tag": "laion2b"}}"#.utf8), path: "t.json"))
        #expect(huge.heads?.value == 16)
        let dinov2 = try #require(SourceConfig.parse(Data(#"{"architecture": "vit_giant_patch14_dinov2", "num_features": 1536}"#.utf8), path: "t.json"))
        #expect(dinov2.heads?.value == 24)
        let quick = try #require(SourceConfig.parse(Data(#"{"architecture": "vit_base_patch16_clip_quickgelu_224", "num_features": 768}"#.utf8), path: "t.json"))
        #expect(quick.activation?.value == "quick_gelu")

        // The model a config describes, to check it is the weights' own.
        let described = try #require(SourceConfig.parse(Data(#"{"hidden_size": 1280, "num_hidden_layers": 32, "num_attention_heads": 16}"#.utf8), path: "c.json"))
        #expect(described.width == Sourced(1280, .configFile(path: "c.json", field: "hidden_size")))
        #expect(described.depth == Sourced(32, .configFile(path: "c.json", field: "num_hidden_layers")))
        #expect(timmArguments.width == Sourced(768, .configFile(path: "t.json", field: "num_features")))

        // A size word whose width is not the config's is no evidence; nor is an unknown name.
        #expect(SourceConfig.parse(Data(#"{"architecture": "vit_base_patch16_224", "num_features": 1024}"#.utf8), path: "t.json") == nil)
        #expect(SourceConfig.parse(Data(#"{"architecture": "eva02_large_patch14_224"}"#.utf8), path: "t.json") == nil)
        #expect(SourceConfig.parse(Data(#"[1, 2]"#.utf8), path: "t.json") == nil)
    }

    @Test("Model values: given beats config beats the family default, which is marked assumed")
    func modelValues() throws {
        let match = try Self.bestMatch(Self.timmInfos(width: 1280, depth: 32, mlp: 5120, patch: 14))
        let config = SourceConfig(path: "c.json", activation: Sourced("quick_gelu", .configFile(path: "c.json", field: "hidden_act")))
        let values = ModelValues.resolve(match, config: config, activation: nil, layerNormEpsilon: 1e-5)
        #expect(values.activation == Sourced("quick_gelu", .configFile(path: "c.json", field: "hidden_act")))
        #expect(values.layerNormEpsilon == Sourced(1e-5, .given))
        #expect(values.assumptions.map(\.name) == ["heads"])
        let defaults = ModelValues.resolve(match, config: nil, activation: nil, layerNormEpsilon: nil)
        #expect(defaults.activation == Sourced("gelu", .familyDefault(layout: "timm")))
        #expect(defaults.assumptions.map(\.name) == ["heads", "activation", "layer_norm_eps"])
    }
}
