import Foundation
import Testing
import TubeletTestSupport
import TensorIO
@testable import Porting

@Suite("Schemas")
struct SchemaTests {
    static let repository = TestSupport.repositoryRoot

    @Test("The compiled-in schemas are exactly what Schemas/*.json decode to")
    func compiledMatchesFiles() throws {
        let directory = Self.repository.appendingPathComponent("Schemas")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") && $0 != "schema.schema.json" }.sorted()
        #expect(BuiltinSchemas.compiled.map(\.file) == files)
        for (file, compiled) in BuiltinSchemas.compiled {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let decoded = try LayoutSchema.decode(data, source: file)
            #expect(compiled == decoded, "\(file): the build plugin's values differ from the file's")
        }
    }

    @Test("Every built-in schema decodes and validates")
    func builtinsLoad() throws {
        let library = try SchemaLibrary.builtin()
        #expect(Set(library.schemas.map(\.name)) == [
            "vision_transformer", "scenic", "big_vision", "big_vision-scan", "timm", "hf-vit", "hf-vit-classifier", "hf-vit-v5",
            "hf-vit-classifier-v5", "hf-dinov2", "hf-vivit-classifier", "hf-timesformer", "hf-timesformer-classifier", "keras-hub-vit", "vit-keras",
            "scenic-vivit-factorised-encoder", "scenic-vivit-factorised-self-attention", "hf-vivit-classifier-v5", "hf-vivit",
            "hf-vivit-v5",
        ])
    }

    @Test("A user schema for a renamed layout is used without recompiling")
    func userSchema() throws {
        let directory = TestDirectory()
        // timm's layout with every name moved under "backbone." and the blocks renamed "layers".
        var timm = try SchemaLibrary.builtin().schema(named: "timm")
        timm.name = "renamed-timm"
        timm.title = "timm with backbone. names"
        timm.prefixes = ["backbone."]
        let json = try JSONEncoder().encode(timm)
        let text = String(decoding: json, as: UTF8.self).replacingOccurrences(of: "blocks.{i}", with: "layers.{i}")
        let path = directory.file("renamed.json")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))

        var library = try SchemaLibrary.builtin()
        try library.add(file: path)
        let schema = try library.schema(named: "renamed-timm")
        let file = try CanonicalViTFixture.materialise(LayoutSource(try CanonicalViTFixture.make(), schema: schema, depth: 2))
        #expect(file.tensors.contains { $0.name == "backbone.layers.1.attn.qkv.weight" })
        let match = try LayoutDetector(library: library, heads: 2).detect(file)
        #expect(match.schema.name == "renamed-timm" && match.prefix == "backbone.")
    }

    @Test("Invalid schemas are refused with the reason", arguments: [
        (#"{"name": "x", "title": "t", "tensors": [{"name": "a", "canonical": ["b", "c"]}]}"#, "turns 1 tensor(s) into 1"),
        (#"{"name": "x", "title": "t", "tensors": [{"name": "a.{i}", "canonical": "b"}]}"#, "{i}"),
        (#"{"name": "x", "title": "t", "tensors": [{"name": "a", "canonical": "b", "transform": [{"op": "rotate"}]}]}"#, "unknown transform op 'rotate'"),
        (#"{"name": "x y", "title": "t", "tensors": []}"#, "schema name"),
        (#"{"title": "t", "tensors": []}"#, "missing key 'name'"),
        (#"{"name": "x", "title": "t", "keras_layers": ["dense"], "tensors": [{"name": "head/head/kernel:0", "canonical": "b"}]}"#, "in none of them"),
        (#"{"name": "x", "title": "t", "keras_layers": ["dense"], "tensors": [{"name": "dense", "canonical": "b"}]}"#, "in none of them"),
        (#"{"name": "x", "title": "t", "keras_layers": [], "tensors": []}"#, "keras_layers"),
        (#"{"name": "x", "title": "t", "keras_layers": ["a", "a"], "tensors": []}"#, "keras_layers"),
        (#"{"name": "x", "title": "t", "keras_layers": ["a//b"], "tensors": []}"#, "keras_layers"),
        // The old camelCase spelling is checked the same way.
        (#"{"name": "x", "title": "t", "kerasLayers": ["a//b"], "tensors": []}"#, "keras_layers"),
        (#"{"name": "x", "title": "t", "keras_layers": ["a"], "kerasLayers": ["a"], "tensors": []}"#, "both 'keras_layers' and its old spelling 'kerasLayers'"),
        (#"{"name": "x", "title": "t", "layer_norm_eps": 1e-6, "layerNormEpsilon": 1e-6, "tensors": []}"#, "both 'layer_norm_eps'"),
        (#"{"name": "x", "title": "t", "format_version": 2, "tensors": []}"#, "format_version 2 is newer"),
    ])
    func invalid(json: String, fragment: String) {
        do {
            _ = try LayoutSchema.decode(Data(json.utf8), source: "test.json")
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test("A schema written with the old camelCase keys (before every JSON went snake_case) reads as the snake_case one")
    func legacyCamelCaseKeys() throws {
        let rule = #""tensors": [{"name": "dense/kernel", "canonical": "head/kernel"}]}"#
        let oldKeys = #"{"name": "x", "title": "t", "layerNormEpsilon": 1e-5, "huggingFaceClass": "ViTModel", "kerasLayers": ["dense"], "#
        let newKeys = #"{"name": "x", "title": "t", "layer_norm_eps": 1e-5, "hugging_face_class": "ViTModel", "keras_layers": ["dense"], "#
        let old = try LayoutSchema.decode(Data((oldKeys + rule).utf8), source: "old.json")
        let new = try LayoutSchema.decode(Data((newKeys + rule).utf8), source: "new.json")
        #expect(old == new)
        #expect(old.layerNormEpsilon == 1e-5 && old.huggingFaceClass == .vitModel && old.kerasLayers == ["dense"])
    }

    @Test("What `schemas NAME` prints (snake_case keys, the document header) reads back as the same schema")
    func encodedSchemaReadsBack() throws {
        for schema in BuiltinSchemas.compiled.map(\.schema) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = try encoder.encode(schema)
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.contains(#""document":"tubelet.layout""#) && text.contains(#""format_version":1"#))
            #expect(!text.contains("layerNormEpsilon") && !text.contains("huggingFaceClass") && !text.contains("kerasLayers"))
            #expect(try LayoutSchema.decode(data, source: "\(schema.name).json") == schema)
        }
    }

    @Test("Block patterns match only whole decimal indices", arguments: [
        ("blocks.{i}.norm1.weight", "blocks.11.norm1.weight", 11),
        ("blocks.{i}.norm1.weight", "blocks.01.norm1.weight", nil),
        ("blocks.{i}.norm1.weight", "blocks.x.norm1.weight", nil),
        ("encoder.layer.{i}.output.dense.weight", "encoder.layer.0.attention.output.dense.weight", nil),
        ("cls", "cls", -1),
        ("block{_i}/mlp", "block/mlp", 0),
        ("block{_i}/mlp", "block_1/mlp", 1),
        ("block{_i}/mlp", "block_12/mlp", 12),
        ("block{_i}/mlp", "block_0/mlp", nil),
        ("block{_i}/mlp", "block1/mlp", nil),
        // tf.keras names a weight <layer>/<weight name>, and the weight name repeats the layer's.
        ("T/block_{i}/T/block_{i}/Dense_0/kernel:0", "T/block_3/T/block_3/Dense_0/kernel:0", 3),
        ("T/block_{i}/T/block_{i}/Dense_0/kernel:0", "T/block_12/T/block_12/Dense_0/kernel:0", 12),
        ("T/block_{i}/T/block_{i}/Dense_0/kernel:0", "T/block_1/T/block_2/Dense_0/kernel:0", nil),
        ("T/block_{i}/T/block_{i}/Dense_0/kernel:0", "T/block_1/T/block_12/Dense_0/kernel:0", nil),
        ("T/block_{i}/T/block_{i}/Dense_0/kernel:0", "T/block_01/T/block_01/Dense_0/kernel:0", nil),
        ("b{_i}/b{_i}/w", "b/b/w", 0),
        ("b{_i}/b{_i}/w", "b_2/b_2/w", 2),
        ("b{_i}/b{_i}/w", "b_2/b/w", nil),
        // A digit right after the placeholder is the literal's, not the index's.
        ("layer{i}0/x", "layer10/x", 1),
        ("layer{i}0/x", "layer100/x", 10),
        ("layer{i}0/x", "layer0/x", nil),
        ("{i}", "7", 7),
        ("{i}", "1234567", nil),
    ] as [(String, String, Int?)])
    func patterns(pattern: String, name: String, index: Int?) {
        #expect(NamePattern(pattern).match(name) == index)
        if let index, index >= 0 {
            #expect(NamePattern(pattern).name(block: index) == name, "a match is the name the pattern writes")
        }
        // The one-pass form detection uses gives the same index, among names that do not match.
        let names = ["", "cls", "blocks.3.attn.qkv.weight", "T/block_9", "layer5/x", "7", name]
        let highest = names.compactMap { NamePattern(pattern).match($0) }.filter { $0 >= 0 }.max()
        #expect(NamePattern(pattern).highestIndex(in: names.map { Array($0.utf8) }) == highest)
    }

    @Test("The highest block index is the largest of every name's, whatever their order")
    func highestIndex() {
        let names = ["blocks.2.mlp.fc1.weight", "blocks.10.mlp.fc1.weight", "blocks.9.mlp.fc1.weight", "head.weight", "blocks.01.mlp.fc1.weight"]
        #expect(NamePattern("blocks.{i}.mlp.fc1.weight").highestIndex(in: names.map { Array($0.utf8) }) == 10)
        #expect(NamePattern("blocks.{i}.norm1.weight").highestIndex(in: names.map { Array($0.utf8) }) == nil)
        #expect(NamePattern("head.weight").highestIndex(in: names.map { Array($0.utf8) }) == nil, "no placeholder, no index")
    }

    @Test("Every transform step is undone by its inverse")
    func inverses() throws {
        let tensor = try Tensor(float32: (0..<24).map(Float.init), shape: [2, 3, 4])
        let cases: [[TransformStep]] = [
            [.permute([2, 0, 1])], [.splitHeads(axis: 2)], [.expandDims(axis: 1)],
            [.permute([1, 0, 2]), .mergeHeads(axis: 1)], [.split(axis: 2, parts: 2), .permute([1, 0, 2])],
        ]
        for steps in cases {
            let forward = try TransformPipeline.apply(steps, [tensor], heads: 2)
            let back = try TransformPipeline.apply(TransformPipeline.inverse(steps, inputCount: 1), forward, heads: 2)
            #expect(back.count == 1 && back[0].shape == tensor.shape && back[0].bytes.array == tensor.bytes.array, "\(steps)")
        }
    }
}
