import Foundation
import Testing
import TubeletTestSupport
import TensorIO
@testable import Porting

/// The sample checkpoints in Checkpoints/ (each written by its own ecosystem's library) seen by
/// the Porting layer, and the schema facts outputs depend on: which layouts store the head
/// count, each family's LayerNorm epsilon, and what a file of unknown block names misses.
@Suite("Layouts: library-written samples and schema facts")
struct LayoutSampleTests {
    static let library: SchemaLibrary = {
        do { return try SchemaLibrary.builtin() } catch { fatalError("built-in schemas do not load: \(error)") }
    }()

    static let checkpoints = TestSupport.checkpointsDirectory

    @Test("Each sample is detected as its own layout, with ViT-tiny_16's architecture", arguments: [
        ("ViT-tiny_16.npz", "vision_transformer", ""),
        ("vit-tiny-big_vision.npz", "big_vision", "params/"),
        ("vit-tiny-big_vision-scan.npz", "big_vision-scan", "params/"),
        ("vit-tiny-timm.pth", "timm", ""),
        ("vit-tiny-timm.safetensors", "timm", ""),
        ("vit-tiny-hf-classifier", "hf-vit-classifier", ""),
        ("vit-tiny-hf-classifier-v5", "hf-vit-classifier-v5", ""),
    ])
    func samples(file: String, layout: String, prefix: String) throws {
        let source = try Checkpoint.open(Self.checkpoints.appendingPathComponent(file).path)
        let match = try LayoutDetector(library: Self.library, heads: 4).detect(source)
        #expect(match.schema.name == layout && match.prefix == prefix)
        #expect(try ViTArchitecture.infer(match, file: file) == ViTArchitecture(
            patchSize: [16, 16], channels: 3, grid: [4, 4], imageSize: [64, 64], width: 64, depth: 2, heads: 4,
            mlpWidth: 128, classifier: .token, hasPreLogits: false, classes: 10))
    }

    @Test("The two Hugging Face namings are the same model: transformers' save_pretrained default and its own names")
    func huggingFaceNamings() throws {
        let detector = LayoutDetector(library: Self.library, heads: 4)
        let legacy = try Checkpoint.open(Self.checkpoints.appendingPathComponent("vit-tiny-hf").path)
        let ownNames = try Checkpoint.open(Self.checkpoints.appendingPathComponent("vit-tiny-hf-v5").path)
        let a = CanonicalSource(legacy, match: try detector.detect(legacy))
        let b = CanonicalSource(ownNames, match: try detector.detect(ownNames))
        #expect(a.match.schema.name == "hf-vit" && b.match.schema.name == "hf-vit-v5")
        #expect(try CanonicalViTFixture.sameTensors(a, b))
        #expect(a.tensors.contains { $0.name == "pre_logits/kernel" } && !a.tensors.contains { $0.name == "output_projection/kernel" })
    }

    @Test("Layouts that store attention as [D, D] do not store the head count")
    func headCount() throws {
        for schema in Self.library.schemas {
            let splitsHeads = schema.name.hasPrefix("timm") || schema.name.hasPrefix("hf-") || schema.name == "vit-keras"
            #expect(schema.storesHeadCount == !splitsHeads, "\(schema.name)")
        }
    }

    @Test("Each image family records its LayerNorm epsilon: Hugging Face 1e-12, Flax and timm 1e-6")
    func layerNormEpsilon() throws {
        let expected: [String: Double] = [
            "vision_transformer": 1e-6, "big_vision": 1e-6, "big_vision-scan": 1e-6, "scenic": 1e-6, "timm": 1e-6,
            "hf-vit": 1e-12, "hf-vit-classifier": 1e-12, "hf-vit-v5": 1e-12, "hf-vit-classifier-v5": 1e-12,
        ]
        for (name, epsilon) in expected {
            #expect(try Self.library.schema(named: name).layerNormEpsilon == epsilon, "\(name)")
        }
    }

    @Test("A LayerNorm epsilon that is not a positive number is refused", arguments: ["0", "-1e-6"])
    func invalidEpsilon(value: String) {
        let json = #"{"name": "x", "title": "t", "layer_norm_eps": "# + value + #", "tensors": [{"name": "a", "canonical": "b"}]}"#
        do {
            _ = try LayoutSchema.decode(Data(json.utf8), source: "test.json")
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.description.contains("layer_norm_eps"), "\(error)")
        }
    }

    @Test("A file whose blocks all have other names is no zero-block match: block 0's names are missing")
    func noBlocks() throws {
        let timm = try CanonicalViTFixture.materialise(LayoutSource(
            try CanonicalViTFixture.make(), schema: Self.library.schema(named: "timm"), depth: CanonicalViTFixture.depth))
        let renamed = InMemorySource(path: "renamed")
        for info in timm.tensors {
            try renamed.add(info.name.replacingOccurrences(of: "blocks.", with: "layers."), timm.read(info.name))
        }
        let ranked = LayoutDetector(library: Self.library, heads: 2).rank(renamed.tensors)
        let closest = try #require(ranked.first)
        #expect(!closest.isFull && closest.schema.name == "timm")
        #expect(closest.missing.contains("blocks.0.attn.qkv.weight") && !closest.missing.contains("blocks.1.attn.qkv.weight"))
        #expect(closest.unexpected.contains("layers.1.attn.qkv.weight"))
        do {
            _ = try LayoutDetector(library: Self.library, heads: 2).detect(renamed)
            Issue.record("a file with no timm blocks was accepted as timm")
        } catch {
            #expect(error.description.contains("the closest is timm") && error.description.contains("missing blocks.0.norm1.weight"))
        }
    }
}
