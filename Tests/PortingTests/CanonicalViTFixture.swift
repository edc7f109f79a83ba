import Foundation
import TensorIO
@testable import Porting

/// A small canonical ViT built in memory, with distinct pseudo-random values in every tensor
/// so any misplaced element shows.
enum CanonicalViTFixture {
    static let width = 8, heads = 2, mlp = 16, depth = 2, patch = 4, grid = 2, classes = 3

    static func make(classToken: Bool = true, preLogits: Bool = false, head: Bool = true) throws -> InMemorySource {
        let source = InMemorySource(path: "canonical-fixture")
        var seed: UInt32 = 1
        func tensor(_ shape: [Int]) throws -> Tensor {
            let count = shape.reduce(1, *)
            var values: [Float] = []
            for _ in 0..<count {
                seed = seed &* 1_664_525 &+ 1_013_904_223
                values.append(Float(Int(seed >> 9) - (1 << 22)) / Float(1 << 22))
            }
            return try Tensor(float32: values, shape: shape)
        }
        let hd = width / heads
        try source.add("embedding/kernel", tensor([patch, patch, 3, width]))
        try source.add("embedding/bias", tensor([width]))
        if classToken { try source.add("cls", tensor([1, 1, width])) }
        try source.add("Transformer/posembed_input/pos_embedding", tensor([1, grid * grid + (classToken ? 1 : 0), width]))
        for block in 0..<depth {
            let prefix = "Transformer/encoderblock_\(block)/"
            try source.add(prefix + "LayerNorm_0/scale", tensor([width]))
            try source.add(prefix + "LayerNorm_0/bias", tensor([width]))
            for projection in ["query", "key", "value"] {
                try source.add(prefix + "MultiHeadDotProductAttention_0/\(projection)/kernel", tensor([width, heads, hd]))
                try source.add(prefix + "MultiHeadDotProductAttention_0/\(projection)/bias", tensor([heads, hd]))
            }
            try source.add(prefix + "MultiHeadDotProductAttention_0/out/kernel", tensor([heads, hd, width]))
            try source.add(prefix + "MultiHeadDotProductAttention_0/out/bias", tensor([width]))
            try source.add(prefix + "LayerNorm_1/scale", tensor([width]))
            try source.add(prefix + "LayerNorm_1/bias", tensor([width]))
            try source.add(prefix + "MlpBlock_0/Dense_0/kernel", tensor([width, mlp]))
            try source.add(prefix + "MlpBlock_0/Dense_0/bias", tensor([mlp]))
            try source.add(prefix + "MlpBlock_0/Dense_1/kernel", tensor([mlp, width]))
            try source.add(prefix + "MlpBlock_0/Dense_1/bias", tensor([width]))
        }
        try source.add("Transformer/encoder_norm/scale", tensor([width]))
        try source.add("Transformer/encoder_norm/bias", tensor([width]))
        if preLogits {
            try source.add("pre_logits/kernel", tensor([width, width]))
            try source.add("pre_logits/bias", tensor([width]))
        }
        if head {
            try source.add("output_projection/kernel", tensor([width, classes]))
            try source.add("output_projection/bias", tensor([classes]))
        }
        return source
    }

    /// Every tensor of `source` copied into memory, so a layout view can be re-read as a file would be.
    static func materialise(_ source: any TensorSource) throws -> InMemorySource {
        let copy = InMemorySource(path: source.path)
        for info in source.tensors { try copy.add(info.name, source.read(info.name)) }
        return copy
    }

    /// Whether two sources hold the same names, shapes, dtypes and bytes.
    static func sameTensors(_ a: any TensorSource, _ b: any TensorSource) throws -> Bool {
        guard Set(a.tensors.map(\.name)) == Set(b.tensors.map(\.name)) else { return false }
        for info in a.tensors {
            let x = try a.read(info.name), y = try b.read(info.name)
            if x.shape != y.shape || x.dtype != y.dtype || x.bytes.array != y.bytes.array { return false }
        }
        return true
    }
}
