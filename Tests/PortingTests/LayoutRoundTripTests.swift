import Foundation
import Testing
import TensorIO
@testable import Porting

@Suite("Layouts: detection and exact round trips")
struct LayoutRoundTripTests {
    static let library: SchemaLibrary = {
        do { return try SchemaLibrary.builtin() } catch { fatalError("built-in schemas do not load: \(error)") }
    }()

    /// Image layouts that hold a classifier head (hf-vit has none; the hf-vivit-classifier and
    /// hf-timesformer ones are video layouts).
    static var layoutNames: [String] { imageLayouts.filter { !headless.contains($0) } }

    /// The schemas' canonical names, which say what kind of model a layout holds.
    static func targets(_ schema: LayoutSchema) -> [String] {
        schema.tensors.flatMap { $0.targets.map(\.text) }
    }

    /// Image layouts: every schema but the video-only ones, whose embedding is a `[D, C, t, h, w]`
    /// Conv3d or whose blocks are ViViT Model 2's or 3's (scenic's tree holds ViTs and ViViT Models 1 and 4).
    static var imageLayouts: [String] {
        library.schemas.filter { !isVideoOnly($0) }.map(\.name).sorted()
    }

    static func isVideoOnly(_ schema: LayoutSchema) -> Bool {
        targets(schema).contains { $0.contains("SpatialTransformer/") || $0.contains("MultiHeadDotProductAttention_space/")
                || $0 == "Transformer/time_embedding" }
            || schema.tensors.contains { rule in
                rule.targets.map(\.text) == ["embedding/kernel"]
                    && rule.transform.contains { if case .permute(let axes) = $0 { axes.count == 5 } else { false } }
            }
    }

    /// Image layouts of backbones without a classifier head.
    static var headless: [String] {
        library.schemas.filter { schema in imageLayouts.contains(schema.name) && !targets(schema).contains("output_projection/kernel") }
            .map(\.name).sorted()
    }

    /// The fixture written in `layout` and read back: the file a user of that family would have.
    static func written(in layout: String, _ canonical: any TensorSource) throws -> InMemorySource {
        let schema = try library.schema(named: layout)
        return try CanonicalViTFixture.materialise(LayoutSource(canonical, schema: schema, depth: CanonicalViTFixture.depth))
    }

    @Test("Each layout is detected on its own tensors, with the right architecture", arguments: layoutNames)
    func detection(layout: String) throws {
        let file = try Self.written(in: layout, CanonicalViTFixture.make())
        let match = try LayoutDetector(library: Self.library, heads: CanonicalViTFixture.heads).detect(file)
        #expect(match.schema.name == layout)
        let architecture = try ViTArchitecture.infer(match, file: "fixture")
        #expect(architecture == ViTArchitecture(
            patchSize: [4, 4], channels: 3, grid: [2, 2], imageSize: [8, 8], width: 8, depth: 2, heads: 2,
            mlpWidth: 16, classifier: .token, hasPreLogits: false, classes: 3))
    }

    @Test("Layout → canonical is exactly the inverse of canonical → layout", arguments: layoutNames)
    func canonicalRoundTrip(layout: String) throws {
        let canonical = try CanonicalViTFixture.make()
        let file = try Self.written(in: layout, canonical)
        let match = try LayoutDetector(library: Self.library, heads: CanonicalViTFixture.heads).detect(file)
        #expect(try CanonicalViTFixture.sameTensors(CanonicalSource(file, match: match), canonical))
    }

    static var layoutPairs: [(String, String)] {
        layoutNames.flatMap { a in layoutNames.map { b in (a, b) } }
    }

    @Test("A → B → A is bit-exact for every pair of layouts", arguments: layoutPairs)
    func pairRoundTrip(a: String, b: String) throws {
        let detector = LayoutDetector(library: Self.library, heads: CanonicalViTFixture.heads)
        let original = try Self.written(in: a, CanonicalViTFixture.make())
        let inB = try CanonicalViTFixture.materialise(LayoutSource(
            CanonicalSource(original, match: detector.detect(original)), schema: Self.library.schema(named: b), depth: 2))
        let backInA = try CanonicalViTFixture.materialise(LayoutSource(
            CanonicalSource(inB, match: detector.detect(inB)), schema: Self.library.schema(named: a), depth: 2))
        #expect(try CanonicalViTFixture.sameTensors(backInA, original))
    }

    @Test("Backbone layouts round-trip a headless ViT with every other layout", arguments: headless)
    func headlessRoundTrips(layout: String) throws {
        let detector = LayoutDetector(library: Self.library, heads: CanonicalViTFixture.heads)
        let canonical = try CanonicalViTFixture.make(head: false)
        let original = try Self.written(in: layout, canonical)
        let match = try detector.detect(original)
        #expect(match.schema.name == layout)
        #expect(try CanonicalViTFixture.sameTensors(CanonicalSource(original, match: match), canonical))
        for other in Self.layoutNames + Self.headless {
            let inOther = try CanonicalViTFixture.materialise(LayoutSource(
                CanonicalSource(original, match: match), schema: Self.library.schema(named: other), depth: 2))
            let back = try CanonicalViTFixture.materialise(LayoutSource(
                CanonicalSource(inOther, match: detector.detect(inOther)), schema: Self.library.schema(named: layout), depth: 2))
            #expect(try CanonicalViTFixture.sameTensors(back, original), "\(layout) → \(other) → \(layout)")
        }
    }

    @Test("big_vision keeps no CLS position: a zero one is dropped, any other is kept, never lost")
    func bigVisionClassPosition() throws {
        let canonical = try CanonicalViTFixture.make()
        let written = try Self.written(in: "big_vision", canonical)
        // The fixture's CLS position is not zero, so it is kept (big_vision's loader folds it).
        #expect(written.info("params/pos_embedding")?.shape == [1, 5, 8])
        // A model whose CLS position is zero is written the big_vision way, with a square grid.
        let zeroed = InMemorySource(path: "zeroed")
        for info in canonical.tensors {
            var tensor = try canonical.read(info.name)
            if info.name == "Transformer/posembed_input/pos_embedding" {
                let rows = try tensor.slice(axis: 1, 1..<5)
                tensor = try Tensor.concatenate([try Tensor.zeros(.float32, shape: [1, 1, 8]), rows], axis: 1)
            }
            try zeroed.add(info.name, tensor)
        }
        let square = try Self.written(in: "big_vision", zeroed)
        #expect(square.info("params/pos_embedding")?.shape == [1, 4, 8])
        #expect(try square.read("params/cls").bytes.array == zeroed.read("cls").bytes.array)
        let match = try LayoutDetector(library: Self.library, heads: 2).detect(square)
        #expect(try CanonicalViTFixture.sameTensors(CanonicalSource(square, match: match), zeroed))
    }

    @Test("A file no layout fits names the closest layout and what it missed")
    func noFit() throws {
        let file = try Self.written(in: "timm", CanonicalViTFixture.make())
        let broken = InMemorySource(path: "broken.pth")
        for info in file.tensors where info.name != "blocks.1.attn.qkv.weight" {
            try broken.add(info.name == "norm.weight" ? "final_norm.weight" : info.name, file.read(info.name))
        }
        do {
            _ = try LayoutDetector(library: Self.library, heads: 2).detect(broken)
            Issue.record("a broken file was matched")
        } catch {
            #expect(error.reason.contains("the closest is timm"))
            #expect(error.reason.contains("missing blocks.1.attn.qkv.weight, norm.weight"))
            #expect(error.reason.contains("not expected final_norm.weight"))
        }
    }

    @Test("The gap classifier (no CLS token) and pre_logits are carried between layouts")
    func variants() throws {
        let canonical = try CanonicalViTFixture.make(classToken: false, preLogits: true)
        for layout in ["vision_transformer", "timm", "big_vision", "big_vision-scan", "scenic"] {
            let file = try Self.written(in: layout, canonical)
            let match = try LayoutDetector(library: Self.library, heads: 2).detect(file)
            #expect(match.schema.name == layout)
            #expect(try CanonicalViTFixture.sameTensors(CanonicalSource(file, match: match), canonical), "\(layout)")
            let architecture = try ViTArchitecture.infer(match, file: layout)
            #expect(architecture.classifier == .gap && architecture.hasPreLogits)
        }
    }
}
