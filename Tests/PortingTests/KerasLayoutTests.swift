import Foundation
import Testing
import TensorIO
@testable import Porting

/// The Keras 2 vit-keras layout and the Keras weight lists a layout with `kerasLayers` writes,
/// so that tf.keras `load_weights` reads the output. In memory only: HDF5 files are read in
/// the serialized HDF5 suite (its leak checks count libhdf5's identifiers process-wide), and
/// the tf.keras samples are checked through the binary in Tests/Interop.
@Suite("Layouts: Keras 2 (vit-keras) and its weight lists")
struct KerasLayoutTests {
    static let library: SchemaLibrary = {
        do { return try SchemaLibrary.builtin() } catch { fatalError("built-in schemas do not load: \(error)") }
    }()

    /// The fixture written as vit-keras, as the HDF5 reader would give it: tensors and lists.
    static func kerasFile(preLogits: Bool = false) throws -> InMemorySource {
        let layout = try LayoutSource(CanonicalViTFixture.make(preLogits: preLogits), schema: library.schema(named: "vit-keras"), depth: 2)
        let file = InMemorySource(path: "vit-keras.h5", metadata: layout.metadata.merging(["keras_version": "2.21.0"]) { a, _ in a })
        for info in layout.tensors { try file.add(info.name, layout.read(info.name)) }
        return file
    }

    @Test("Written as vit-keras, a ViT carries Keras's lists: layers in the model's order, each layer's weights in Keras's order")
    func weightLists() throws {
        let output = try LayoutSource(CanonicalViTFixture.make(preLogits: true), schema: Self.library.schema(named: "vit-keras"), depth: 2)
        let metadata = output.metadata
        #expect(metadata["layer_names"] == KerasWeightLists.text([
            "embedding", "class_token", "Transformer/posembed_input", "Transformer/encoderblock_0", "Transformer/encoderblock_1",
            "Transformer/encoder_norm", "pre_logits", "head",
        ]))
        #expect(metadata["embedding/weight_names"] == #"["embedding/kernel:0", "embedding/bias:0"]"#)
        let block = "Transformer/encoderblock_1/"
        #expect(metadata[block + "weight_names"] == KerasWeightLists.text(
            ["query", "key", "value", "out"].flatMap { ["\(block)MultiHeadDotProductAttention_1/\($0)/kernel:0", "\(block)MultiHeadDotProductAttention_1/\($0)/bias:0"] }
            + ["Dense_0", "Dense_1"].flatMap { ["\(block)\($0)/kernel:0", "\(block)\($0)/bias:0"] }
            + ["LayerNorm_0", "LayerNorm_2"].flatMap { ["\(block)\($0)/gamma:0", "\(block)\($0)/beta:0"] }))
        // Every listed weight is a tensor at <layer>/<weight>, and every tensor is listed once.
        let layers = try #require(KerasWeightLists.parse(metadata["layer_names"] ?? ""))
        let listed = try layers.flatMap { layer in
            try #require(KerasWeightLists.parse(metadata[layer + "/weight_names"] ?? "")).map { layer + "/" + $0 }
        }
        #expect(listed == output.tensors.map(\.name))
    }

    @Test("A model without pre_logits lists no pre_logits layer")
    func absentLayer() throws {
        let output = try LayoutSource(CanonicalViTFixture.make(), schema: Self.library.schema(named: "vit-keras"), depth: 2)
        #expect(output.metadata["layer_names"]?.contains("pre_logits") == false)
        #expect(output.metadata["pre_logits/weight_names"] == nil)
    }

    @Test("A prefix with '/' is the group of the lists: model_weights/layer_names, as model.save writes it")
    func prefixGroup() throws {
        var schema = try Self.library.schema(named: "vit-keras")
        schema.prefixes = ["model_weights/"]
        let output = try LayoutSource(CanonicalViTFixture.make(), schema: schema, depth: 2)
        #expect(output.metadata["layer_names"] == nil)
        #expect(output.metadata["model_weights/layer_names"]?.hasPrefix(#"["embedding", "class_token""#) == true)
        #expect(output.metadata["model_weights/head/weight_names"] == #"["head/kernel:0", "head/bias:0"]"#)
        #expect(output.tensors.first?.name == "model_weights/embedding/embedding/kernel:0")
    }

    @Test("Converting a Keras file to another layout drops its weight lists, which name its own tensors; other metadata stays")
    func staleListsDropped() throws {
        let file = try Self.kerasFile()
        let detector = LayoutDetector(library: Self.library, heads: 2)
        let canonical = CanonicalSource(file, match: try detector.detect(file))
        #expect(canonical.match.schema.name == "vit-keras")
        let timm = try LayoutSource(canonical, schema: Self.library.schema(named: "timm"), depth: 2)
        #expect(!timm.metadata.keys.contains { KerasWeightLists.isListKey($0) })
        #expect(timm.metadata["keras_version"] == "2.21.0")
        let back = try LayoutSource(canonical, schema: Self.library.schema(named: "vit-keras"), depth: 2)
        #expect(back.metadata == file.metadata)
    }

    @Test("vit-keras → every image layout → vit-keras gives the same names in Keras's order, the same bytes and the same lists", arguments: LayoutRoundTripTests.layoutNames)
    func roundTrips(layout: String) throws {
        let file = try Self.kerasFile()
        let detector = LayoutDetector(library: Self.library, heads: 2)
        let other = try CanonicalViTFixture.materialise(LayoutSource(
            CanonicalSource(file, match: try detector.detect(file)), schema: Self.library.schema(named: layout), depth: 2))
        let back = try LayoutSource(CanonicalSource(other, match: try detector.detect(other)), schema: Self.library.schema(named: "vit-keras"), depth: 2)
        #expect(back.tensors.map(\.name) == file.tensors.map(\.name))
        #expect(try CanonicalViTFixture.sameTensors(back, file))
        #expect(back.metadata.filter { KerasWeightLists.isListKey($0.key) } == file.metadata.filter { KerasWeightLists.isListKey($0.key) })
    }
}
