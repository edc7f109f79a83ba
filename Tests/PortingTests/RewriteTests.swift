import Foundation
import Testing
import TensorIO
@testable import Porting

/// The exact rewrites (LayerScale folded, a zero CLS position, zero biases, the mask token
/// left out) and the structural refusals, checked value by value.
@Suite("Rewrites: exact values and structural refusals")
struct RewriteTests {
    static let library: SchemaLibrary = {
        do { return try SchemaLibrary.builtin() } catch { fatalError("built-in schemas do not load: \(error)") }
    }()

    /// The fixture without `excluded`, plus `extra`.
    static func variant(excluding excluded: (String) -> Bool = { _ in false },
                        adding extra: [(String, Tensor)] = [], classToken: Bool = true) throws -> InMemorySource {
        let base = try CanonicalViTFixture.make(classToken: classToken)
        let copy = InMemorySource(path: "variant")
        for info in base.tensors where !excluded(info.name) { try copy.add(info.name, base.read(info.name)) }
        for (name, tensor) in extra { try copy.add(name, tensor) }
        return copy
    }

    static func floats(_ tensor: Tensor) -> [Float] { tensor.doubleValues.map { Float($0) } }

    /// Scales with values that are not powers of two, so a product needs rounding.
    static func gamma(_ seed: Float) throws -> Tensor {
        try Tensor(float32: (0..<CanonicalViTFixture.width).map { Float($0) * 0.37 - 1.1 + seed }, shape: [CanonicalViTFixture.width])
    }

    @Test("LayerScale: out and Dense_1 kernels' columns and biases times gamma, one float32 rounding each")
    func layerScale() throws {
        var extra: [(String, Tensor)] = []
        for block in 0..<CanonicalViTFixture.depth {
            extra.append((CanonicalExtension.attentionScale(block: block), try Self.gamma(Float(block))))
            extra.append((CanonicalExtension.mlpScale(block: block), try Self.gamma(0.5 + Float(block))))
        }
        let source = try Self.variant(adding: extra)
        let rewritten = try RewrittenSource(source)
        #expect(!rewritten.tensors.contains { CanonicalExtension.contains($0.name) })
        #expect(rewritten.tensors.count == source.tensors.count - extra.count)
        let width = CanonicalViTFixture.width
        for block in 0..<CanonicalViTFixture.depth {
            for (layer, scale) in [("MultiHeadDotProductAttention_0/out", CanonicalExtension.attentionScale(block: block)),
                                   ("MlpBlock_0/Dense_1", CanonicalExtension.mlpScale(block: block))] {
                let gamma = Self.floats(try source.read(scale))
                for part in ["kernel", "bias"] {
                    let name = "Transformer/encoderblock_\(block)/\(layer)/\(part)"
                    let original = Self.floats(try source.read(name))
                    let folded = try rewritten.read(name)
                    #expect(folded.shape == source.info(name)?.shape && folded.dtype == .float32)
                    // Swift's Float multiply rounds the exact product once, as the fold does.
                    let expected = original.enumerated().map { $0.element * gamma[$0.offset % width] }
                    #expect(Self.floats(folded) == expected, "\(name)")
                    #expect(rewritten.fileTensors(for: name) == [name, scale])
                }
            }
        }
        let scales = rewritten.rewrites.filter { $0.method == "layer-scale" }
        #expect(scales.count == 2)
        #expect(Set(scales.flatMap(\.tensors)).count == 4 * CanonicalViTFixture.depth)
        #expect(scales.allSatisfy { $0.detail.contains("one float32 rounding") })
    }

    @Test("A CLS token without a position gets a zero row 0; the grid rows are kept bit for bit")
    func classPosition() throws {
        let grid = CanonicalViTFixture.grid
        let name = "Transformer/posembed_input/pos_embedding"
        let full = try CanonicalViTFixture.make()
        let patchRows = try full.read(name).slice(axis: 1, 1..<(grid * grid + 1))
        let source = try Self.variant(excluding: { $0 == name }, adding: [(name, patchRows)])
        let rewritten = try RewrittenSource(source)
        let posemb = try rewritten.read(name)
        #expect(posemb.shape == [1, grid * grid + 1, CanonicalViTFixture.width])
        #expect(try posemb.slice(axis: 1, 0..<1).isAllZeroBytes)
        #expect(try posemb.slice(axis: 1, 1..<(grid * grid + 1)).bytes.array == patchRows.bytes.array)
        #expect(rewritten.rewrites.map(\.method) == ["class-position"])
        let architecture = try ViTArchitecture.infer(rewritten.tensors, file: "x", heads: .stored(CanonicalViTFixture.heads))
        #expect(architecture.grid == [grid, grid] && architecture.classifier == .token)
        // A gap ViT's square grid and a ViT whose posemb already has the CLS row are left alone.
        #expect(try RewrittenSource(Self.variant(classToken: false)).rewrites.isEmpty)
        #expect(try RewrittenSource(Self.variant()).rewrites.isEmpty)
    }

    @Test("FlexiViT's 15x15 grid without a CLS position: 226 positions, a square grid of 15")
    func flexiViTGrid() throws {
        var infos = ShapeOnlySource.vitB16().tensors.filter { $0.name != "Transformer/posembed_input/pos_embedding" }
        infos.append(TensorInfo(name: "Transformer/posembed_input/pos_embedding", dtype: .float32, shape: [1, 225, 768]))
        let rewritten = try RewrittenSource(ShapeOnlySource(infos))
        let architecture = try ViTArchitecture.infer(rewritten.tensors, file: "flexivit", heads: .stored(CanonicalViTFixture.heads))
        #expect(architecture.grid == [15, 15] && architecture.imageSize == [240, 240])
        #expect(rewritten.info("Transformer/posembed_input/pos_embedding")?.shape == [1, 226, 768])
    }

    @Test("Missing biases become zeros of the layer's bias shape, recorded; a bias missing in some blocks only is refused")
    func zeroBiases() throws {
        let missing: (String) -> Bool = { $0.hasSuffix("/query/bias") || $0.hasSuffix("/key/bias") || $0.hasSuffix("/value/bias") || $0 == "embedding/bias" }
        let source = try Self.variant(excluding: missing)
        let rewritten = try RewrittenSource(source)
        let full = try CanonicalViTFixture.make()
        #expect(rewritten.tensors.map(\.name) == full.tensors.map(\.name))
        for info in full.tensors where missing(info.name) {
            let zero = try rewritten.read(info.name)
            #expect(zero.shape == info.shape && zero.isAllZeroBytes && zero.dtype == .float32)
            #expect(rewritten.fileTensors(for: info.name) == [])
        }
        let biases = rewritten.rewrites.filter { $0.method == "zero-bias" }
        #expect(biases.count == 4)  // embedding, query, key, value
        #expect(biases.flatMap(\.tensors).count == 1 + 3 * CanonicalViTFixture.depth)
        let damaged = try Self.variant(excluding: { $0 == "Transformer/encoderblock_1/MultiHeadDotProductAttention_0/query/bias" })
        #expect(throws: CheckpointError.self) { try RewrittenSource(damaged) }
    }

    @Test("The mask token is left out with its reason, and inflation lists it and every rewrite in the report")
    func maskTokenAndReport() throws {
        let mask = try Tensor(float32: Array(repeating: 0.25, count: CanonicalViTFixture.width), shape: [1, CanonicalViTFixture.width])
        let source = try Self.variant(adding: [(CanonicalExtension.maskToken, mask),
                                               (CanonicalExtension.mlpScale(block: 0), try Self.gamma(0))])
        let rewritten = try RewrittenSource(source)
        #expect(rewritten.dropped.map(\.name) == [CanonicalExtension.maskToken])
        #expect(rewritten.dropped[0].reason.contains("never reads it"))
        let inflated = try Inflater.inflate(rewritten, architecture: ViTArchitecture.infer(rewritten.tensors, file: "x", heads: .stored(CanonicalViTFixture.heads)),
                                            layout: "test", options: InflationOptions(model: .spacetime))
        #expect(inflated.report.dropped.contains { $0.name == CanonicalExtension.maskToken })
        #expect(inflated.report.rewrites.map(\.method) == ["layer-scale"])
        #expect(inflated.report.summary.contains("layer-scale"))
        #expect(inflated.report.jsonText().contains("\"rewrites\""))
        // Without the rewrites, inflation refuses what it has no place for rather than losing it.
        #expect(throws: CheckpointError.self) {
            try Inflater.inflate(source, architecture: ViTArchitecture.infer(source.tensors, file: "x", heads: .stored(CanonicalViTFixture.heads)),
                                 layout: "test", options: InflationOptions(model: .spacetime))
        }
    }

    @Test("LayerScale and the mask token are detected in timm and Hugging Face Dinov2 names and fold the same", arguments: ["timm", "hf-dinov2"])
    func layoutsCarryLayerScale(layout: String) throws {
        let mask = try Tensor(float32: Array(repeating: 0.5, count: CanonicalViTFixture.width), shape: [1, 1, CanonicalViTFixture.width])
        var extra: [(String, Tensor)] = [(CanonicalExtension.maskToken, mask)]
        for block in 0..<CanonicalViTFixture.depth {
            extra.append((CanonicalExtension.attentionScale(block: block), try Self.gamma(1)))
            extra.append((CanonicalExtension.mlpScale(block: block), try Self.gamma(2)))
        }
        let canonical = try Self.variant(excluding: { $0.hasPrefix("output_projection/") }, adding: extra)
        let schema = try Self.library.schema(named: layout)
        let file = try CanonicalViTFixture.materialise(LayoutSource(canonical, schema: schema, depth: CanonicalViTFixture.depth))
        let match = try LayoutDetector(library: Self.library, heads: CanonicalViTFixture.heads).detect(file)
        #expect(match.schema.name == layout)
        let fromFile = try RewrittenSource(CanonicalSource(file, match: match))
        let direct = try RewrittenSource(canonical)
        #expect(try CanonicalViTFixture.sameTensors(fromFile, direct))
        #expect(fromFile.rewrites.count == 2 && fromFile.dropped.count == 1)
    }

    @Test("Known structures are named from the tensor names", arguments: [
        (["norm_pre.weight", "blocks.0.norm1.weight"], "a LayerNorm before the first block"),
        (["vision_model.pre_layrnorm.weight"], "a LayerNorm before the first block"),
        (["reg_token", "cls_token"], "register tokens"),
        (["embeddings.register_tokens"], "register tokens"),
        (["dist_token", "head_dist.weight"], "a distillation token"),
        (["attn_pool.latent", "attn_pool.q.weight"], "an attention-pool (MAP) head"),
        (["params/img/MAPHead_0/probe"], "an attention-pool (MAP) head"),
        (["fc_norm.weight"], "pooling before the final norm"),
        (["blocks.0.attn.relative_position_bias_table"], "relative position bias"),
        (["blocks.0.mlp.fc1_g.weight", "blocks.0.mlp.fc1_x.weight"], "a gated MLP"),
        (["blocks.0.mlp.w12.weight"], "a gated MLP"),
        (["encoder.layer.0.mlp.weights_in.weight"], "a gated MLP"),
        (["rope.freqs_cos"], "rotary position embeddings"),
        (["blocks.0.attn.q_norm.weight"], "normalised queries and keys"),
        (["blocks.0.attn.norm.weight"], "a LayerNorm inside the attention or MLP"),
    ])
    func structures(names: [String], structure: String) throws {
        let refusal = try #require(StructuralRefusal.recognise(names.map { TensorInfo(name: $0, dtype: .float32, shape: [1]) }))
        #expect(refusal.structure.hasPrefix(structure))
        #expect(refusal.message.contains(structure) && refusal.message.contains(refusal.tensors[0]))
    }

    @Test("Block patterns and name searches: the byte path for ASCII names agrees with the Character path", arguments: [
        "Transformer/encoderblock_11/MlpBlock_0/Dense_1/bias", "Transformer/encoderblock_/x", "Transformer/encoderblock_1a/x",
        "encoderblock_0", "Transformer/encoder_norm/scale", "a//encoderblock_3//", "", "/", "Transformer/encoderblock_٣/LayerNorm_0/scale",
        "Transformer/encoderblock_3/LayerNorm\u{301}_0/scale", "x/LayerNorm", "LayerNor", "cls",
    ])
    func asciiPaths(name: String) {
        let characterPattern = name.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("encoderblock_") && part.dropFirst("encoderblock_".count).allSatisfy(\.isNumber) ? "encoderblock_{i}" : String(part)
        }.joined(separator: "/")
        #expect(RewrittenSource.pattern(name) == characterPattern)
        #expect(RewrittenSource.contains(name, "LayerNorm") == name.contains("LayerNorm"))
        #expect(RewrittenSource.contains(name, "encoder_norm") == name.contains("encoder_norm"))
    }

    @Test("A gate packed into fc1 is seen in the file's shapes (timm GluMlp: fc1 [2M, D], fc2 [D, M])")
    func packedGateInFile() throws {
        let infos = [TensorInfo(name: "blocks.0.mlp.fc1.weight", dtype: .float32, shape: [1024, 192]),
                     TensorInfo(name: "blocks.0.mlp.fc2.weight", dtype: .float32, shape: [192, 512])]
        let refusal = try #require(StructuralRefusal.recognise(infos))
        #expect(refusal.structure.hasPrefix("a gated MLP") && refusal.tensors == ["blocks.0.mlp.fc1.weight"])
        let plain = [TensorInfo(name: "blocks.0.mlp.fc1.weight", dtype: .float32, shape: [768, 192]),
                     TensorInfo(name: "blocks.0.mlp.fc2.weight", dtype: .float32, shape: [192, 768])]
        #expect(StructuralRefusal.recognise(plain) == nil)
    }

    @Test("A plain ViT's names show no structure to refuse")
    func plainViT() throws {
        #expect(StructuralRefusal.recognise(try CanonicalViTFixture.make().tensors) == nil)
        let timm = try LayoutRoundTripTests.written(in: "timm", CanonicalViTFixture.make())
        #expect(StructuralRefusal.recognise(timm.tensors) == nil)
    }

    @Test("Detection that fails on a known structure says so in one line instead of the closest layout")
    func detectionNamesStructure() throws {
        let timm = try LayoutRoundTripTests.written(in: "timm", CanonicalViTFixture.make())
        let file = InMemorySource(path: "clip.safetensors")
        for info in timm.tensors { try file.add(info.name, timm.read(info.name)) }
        try file.add("norm_pre.weight", Tensor(float32: Array(repeating: 1, count: CanonicalViTFixture.width), shape: [CanonicalViTFixture.width]))
        let error = try #require(throws: CheckpointError.self) {
            try LayoutDetector(library: Self.library, heads: CanonicalViTFixture.heads).detect(file)
        }
        #expect(error.description.contains("a LayerNorm before the first block") && error.description.contains("norm_pre.weight"))
        #expect(!error.description.contains("closest"))
    }

    @Test("A gated MLP packed into one first layer is refused once a layout matches (DINOv2-giant in timm)")
    func packedSwiGLU() throws {
        let infos = ShapeOnlySource.vitB16().tensors.map { info in
            info.name.hasSuffix("Dense_0/kernel") ? TensorInfo(name: info.name, dtype: info.dtype, shape: [768, 6144])
                : info.name.hasSuffix("Dense_0/bias") ? TensorInfo(name: info.name, dtype: info.dtype, shape: [6144]) : info
        }
        let error = try #require(throws: CheckpointError.self) { try RewrittenSource(ShapeOnlySource(infos)) }
        #expect(error.description.contains("gated MLP (SwiGLU)") && error.description.contains("6144"))
    }
}
