import Foundation
import Testing
import TubeletTestSupport
@testable import TensorIO

extension HDF5Tests {
    /// The committed samples in Checkpoints/, each written by its own library.
    @Suite("HDF5 and Keras samples written by h5py and Keras")
    struct Samples {
        static let kerasTensorCount = 38

        @Test("Keras 3 .weights.h5 (keras-hub ViTBackbone): every tensor's name, dtype and shape")
        func keras3Weights() throws {
            let source = try Checkpoint.open(HDF5Tests.checkpoint("ViT-tiny_keras3.weights.h5"))
            #expect(source.format == .hdf5)
            #expect(source.tensors.count == Self.kerasTensorCount)
            #expect(source.tensors.allSatisfy { $0.dtype == .float32 && $0.name.hasPrefix("layers/") })
            let shapes = Dictionary(uniqueKeysWithValues: source.tensors.map { ($0.name, $0.shape) })
            #expect(shapes["layers/vi_t_patching_and_embedding/patch_embedding/vars/0"] == [8, 8, 3, 16])
            #expect(shapes["layers/vi_t_patching_and_embedding/position_embedding/vars/0"] == [17, 16])
            #expect(shapes["layers/vi_t_patching_and_embedding/vars/0"] == [1, 1, 16])
            #expect(shapes["layers/vi_t_encoder/encoder_layers/vi_t_encoder_block/mha/query_dense/vars/0"] == [16, 2, 8])
            #expect(shapes["layers/vi_t_encoder/encoder_layers/vi_t_encoder_block_1/mlp/dense_1/vars/0"] == [16, 32])
            #expect(source.metadata["vars/name"] == "vi_t_backbone")
            #expect(source.tensors.reduce(0) { $0 + $1.elementCount } == 7_856)
            _ = try HDF5Tests.readAll(source)
        }

        @Test("Keras 3 bfloat16 weights read as bfloat16, with the same names and shapes")
        func keras3BFloat16() throws {
            let single = try Checkpoint.open(HDF5Tests.checkpoint("ViT-tiny_keras3.weights.h5"))
            let half = try Checkpoint.open(HDF5Tests.checkpoint("ViT-tiny_keras3-bf16.weights.h5"))
            #expect(half.tensors.map(\.name) == single.tensors.map(\.name))
            #expect(half.tensors.map(\.shape) == single.tensors.map(\.shape))
            #expect(half.tensors.allSatisfy { $0.dtype == .bfloat16 })
            #expect(!half.metadata.keys.contains { $0.hasSuffix("/dtype") }, "the dtype attribute is the dtype, not metadata")
            // The same seed gives the same values, rounded to bfloat16 (ones and zeros exactly).
            let norm = "layers/vi_t_encoder/layer_norm/vars/0"
            #expect(try half.read(norm).bytes.array == Array(repeating: [0x80, 0x3f], count: 16).flatMap { $0 })
        }

        @Test("A .keras archive reads as the .weights.h5 it holds, plus its JSON members")
        func kerasArchive() throws {
            let archive = try Checkpoint.open(HDF5Tests.checkpoint("ViT-tiny_keras3.keras"))
            let weights = try Checkpoint.open(HDF5Tests.checkpoint("ViT-tiny_keras3.weights.h5"))
            #expect(archive.format == .keras)
            #expect(archive.tensors == weights.tensors)
            #expect(try HDF5Tests.readAll(archive) == HDF5Tests.readAll(weights))
            #expect(archive.metadata["config.json"]?.contains("ViTBackbone") == true)
            #expect(archive.metadata["metadata.json"]?.contains("keras_version") == true)
            for (key, value) in weights.metadata { #expect(archive.metadata[key] == value, "\(key)") }
        }

        @Test("ViT-tiny_16.h5 (h5py, chunked gzip and contiguous) holds exactly ViT-tiny_16.npz's tensors")
        func h5pySample() throws {
            let h5 = try Checkpoint.open(HDF5Tests.checkpoint("ViT-tiny_16.h5"))
            let npz = try Checkpoint.open(HDF5Tests.checkpoint("ViT-tiny_16.npz"))
            #expect(Set(h5.tensors.map(\.name)) == Set(npz.tensors.map(\.name)))
            #expect(h5.tensors.count == 40)
            #expect(try HDF5Tests.readAll(h5) == HDF5Tests.readAll(npz))
            #expect(h5.metadata["image_size"] == "64")
            #expect(h5.metadata["init_std"] == "0.02")
            #expect(h5.metadata["modules"] == #"["embedding", "cls", "Transformer", "head"]"#)
            // h5py does not record creation order, so names come in natural order.
            #expect(h5.tensors.first?.name == "Transformer/encoder_norm/bias")
        }

        @Test("Samples convert to HDF5 and back unchanged", arguments: [
            "ViT-tiny_keras3.weights.h5", "ViT-tiny_keras3-bf16.weights.h5", "ViT-tiny_keras3.keras", "ViT-tiny_16.h5", "ViT-tiny_16.npz",
        ])
        func convertBack(sample: String) throws {
            let directory = TestDirectory()
            let source = try Checkpoint.open(HDF5Tests.checkpoint(sample))
            try Checkpoint.write(source, to: directory.file("copy.h5"), options: WriteOptions(compression: .deflate(level: 6)))
            let copy = try Checkpoint.open(directory.file("copy.h5"))
            #expect(copy.tensors == source.tensors)
            #expect(copy.metadata == source.metadata)
            #expect(try HDF5Tests.readAll(copy) == HDF5Tests.readAll(source))
        }
    }
}
