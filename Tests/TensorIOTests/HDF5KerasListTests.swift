import Foundation
import Testing
import TubeletTestSupport
@testable import TensorIO

extension HDF5Tests {
    /// Keras 2 weight lists in the metadata go back onto their groups when HDF5 is written, so
    /// a tf.keras file read and written again is still one Keras (and Tubelet) reads.
    @Suite("Keras 2 weight lists written back")
    struct KerasLists {
        static let samples = ["ViT-tiny_16_keras2.h5", "ViT-tiny_16_keras2-model.h5"]

        @Test("A tf.keras file written again has the same tensors in Keras's order, and the same lists", arguments: samples)
        func rewrite(sample: String) throws {
            let directory = TestDirectory()
            let source = try Checkpoint.open(HDF5Tests.checkpoint(sample))
            #expect(source.tensors.count == 40)
            try Checkpoint.write(source, to: directory.file("copy.h5"))
            let copy = try Checkpoint.open(directory.file("copy.h5"))
            #expect(copy.tensors == source.tensors)
            #expect(try HDF5Tests.readAll(copy) == HDF5Tests.readAll(source))
            let lists = source.metadata.filter { KerasWeightLists.isListKey($0.key) }
            // layer_names, and the weight_names of 10 layers and of top_level_model_weights;
            // layers without weights (input_1, reshape, ExtractToken) keep their empty lists.
            #expect(lists.count == 12 && lists.values.contains("[]"))
            #expect(copy.metadata == source.metadata)
        }

        @Test("Lists are parsed from the reader's JSON text; other text is no list", arguments: [
            (#"["a", "b/c:0"]"#, ["a", "b/c:0"] as [String]?), ("[]", []), (#"["a", 1]"#, nil), ("a", nil),
            (#"{"a": 1}"#, nil), (#"["a\u0000b"]"#, nil), (#"["a",]"#, nil),
        ])
        func parse(text: String, names: [String]?) {
            #expect(KerasWeightLists.parse(text) == names)
            if let names { #expect(KerasWeightLists.parse(KerasWeightLists.text(names)) == names) }
        }

        @Test("Only layer_names and weight_names on a group HDF5 can hold are lists", arguments: [
            ("layer_names", true), ("model_weights/layer_names", true), ("dense/weight_names", true),
            ("a/b/weight_names", true), ("weight_names_1", false), ("dense/names", false), ("layer_names/x", false),
        ])
        func listKeys(key: String, isList: Bool) {
            #expect(KerasWeightLists.isListKey(key) == isList)
        }

        @Test("Lists that name a weight or layer the file will not hold are refused before anything is written", arguments: [
            (["layer_names": #"["dense"]"#, "dense/weight_names": #"["dense/kernel:0", "dense/bias:0"]"#], "dense/dense/bias:0"),
            (["layer_names": #"["dense", "gone"]"#, "dense/weight_names": #"["dense/kernel:0"]"#], "gone"),
        ])
        func inconsistent(metadata: [String: String], culprit: String) throws {
            let directory = TestDirectory()
            let source = InMemorySource(metadata: metadata)
            try source.add("dense/dense/kernel:0", Tensor(float32: [1, 2], shape: [1, 2]))
            let error = #expect(throws: CheckpointError.self) {
                try Checkpoint.write(source, to: directory.file("out.h5"))
            }
            #expect(error?.kind == .invalidRequest && error?.tensor == culprit)
            #expect(error?.reason.contains("Keras could not load the file") == true)
            #expect(directory.contents == [])
        }

        @Test("A layer listed with no weights gets an empty group, nested groups included")
        func weightlessLayers() throws {
            let directory = TestDirectory()
            let source = InMemorySource(metadata: [
                "layer_names": #"["input", "a/b", "dense"]"#, "input/weight_names": "[]", "a/b/weight_names": "[]",
                "dense/weight_names": #"["dense/kernel:0"]"#, "note": "[1, 2]",
            ])
            try source.add("dense/dense/kernel:0", Tensor(float32: [1, 2], shape: [1, 2]))
            try Checkpoint.write(source, to: directory.file("out.h5"))
            let back = try Checkpoint.open(directory.file("out.h5"))
            #expect(back.metadata == source.metadata)
            #expect(back.tensors.map(\.name) == ["dense/dense/kernel:0"])
        }
    }
}
