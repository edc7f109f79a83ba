import Testing
import TensorIO
@testable import Porting

@Suite("Leaving tensors out on purpose")
struct TensorExclusionTests {
    static let library = HeadCountTests.library

    /// A timm ViT with a classifier, under canonical names.
    static func canonical() throws -> CanonicalSource {
        let file = try LayoutRoundTripTests.written(in: "timm", CanonicalViTFixture.make())
        return CanonicalSource(file, match: try LayoutDetector(library: library, heads: CanonicalViTFixture.heads).detect(file))
    }

    @Test("Dropping the head leaves out the classifier with its file names, and nothing else")
    func dropHead() throws {
        let source = try Self.canonical()
        let keras = try Self.library.schema(named: "keras-hub-vit")
        let leftOut = TensorExclusion(dropHead: true) { $0 == $1 }.leftOut(source, target: keras)
        #expect(leftOut.map(\.canonical) == ["output_projection/kernel", "output_projection/bias"])
        #expect(leftOut.map(\.fileTensors) == [["head.weight"], ["head.bias"]])
        let kept = SubsetSource(source, excluding: Set(leftOut.map(\.canonical)))
        let written = try LayoutSource(kept, schema: keras, depth: CanonicalViTFixture.depth)
        #expect(written.tensors.count == source.tensors.count - 2)
    }

    @Test("A pattern matches canonical names or the file's own")
    func patterns() throws {
        let source = try Self.canonical()
        let target = try Self.library.schema(named: "timm")
        for pattern in ["output_projection/kernel", "head.weight"] {
            let leftOut = TensorExclusion(patterns: [pattern]) { $0 == $1 }.leftOut(source, target: target)
            #expect(leftOut == [.init(canonical: "output_projection/kernel", fileTensors: ["head.weight"], reason: "excluded by '\(pattern)'")])
        }
    }

    @Test("A layout places the canonical tensors its rules write, per block too")
    func places() throws {
        let keras = try Self.library.schema(named: "keras-hub-vit")
        #expect(keras.places("Transformer/encoderblock_7/MlpBlock_0/Dense_0/kernel"))
        #expect(!keras.places("output_projection/kernel"))
        #expect(!keras.places("pre_logits/kernel"))
        #expect(try Self.library.schema(named: "hf-vit").places("pre_logits/kernel"))
    }
}
