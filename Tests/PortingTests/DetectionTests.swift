import Foundation
import Testing
import TensorIO
import TubeletTestSupport
@testable import Porting

/// `LayoutDetector.best` skips fitting layouts that lack a required tensor; it must name the
/// same candidate as the full ranking, on files that fit a layout and on files that fit none.
@Suite("Detection: the best candidate without fitting every layout")
struct DetectionTests {
    static let library: SchemaLibrary = {
        do { return try SchemaLibrary.builtin() } catch { fatalError("built-in schemas do not load: \(error)") }
    }()

    static func expectSameAsRanking(_ tensors: [TensorInfo], _ what: String, heads: Int? = nil,
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        let detector = heads.map { LayoutDetector(library: library, heads: $0) } ?? LayoutDetector(library: library)
        let best = detector.best(tensors)
        let first = detector.rank(tensors).first
        #expect(best?.schema.name == first?.schema.name && best?.prefix == first?.prefix, "\(what)", sourceLocation: sourceLocation)
        #expect(best?.isFull == first?.isFull && best?.depth == first?.depth && best?.score == first?.score, "\(what)",
                sourceLocation: sourceLocation)
        #expect(best?.missing == first?.missing && best?.unexpected == first?.unexpected
                && best?.shapeProblems == first?.shapeProblems, "\(what)", sourceLocation: sourceLocation)
    }

    @Test("Every sample checkpoint, with and without a head count", arguments: [
        "ViT-tiny_16.npz", "ViT-tiny_16.h5", "vit-tiny-timm.pth", "vit-tiny-timm.safetensors", "vit-tiny-big_vision.npz",
        "vit-tiny-big_vision-scan.npz", "vit-tiny-hf", "vit-tiny-hf-classifier", "vit-tiny-hf-v5", "vit-tiny-hf-classifier-v5",
        "ViT-tiny_keras3.weights.h5", "ViT-tiny_16_keras2.h5", "ViT-tiny_16_keras2-model.h5", "vit-tiny-scenic_checkpoint_0",
    ])
    func samples(file: String) throws {
        let tensors = try Checkpoint.open(TestSupport.checkpoint(file).path).tensors
        Self.expectSameAsRanking(tensors, file)
        Self.expectSameAsRanking(tensors, file + " --heads 4", heads: 4)
        Self.expectSameAsRanking(tensors, file + " --heads 5 (does not divide the width)", heads: 5)
    }

    @Test("Damaged files: most fit no layout, and the closest is the ranking's")
    func noFit() throws {
        let tensors = try Checkpoint.open(TestSupport.checkpoint("ViT-tiny_16.npz").path).tensors
        let damaged: [(String, [TensorInfo], fits: Bool)] = [
            // A model without a CLS token, and a one-block model: both still ViTs.
            ("no cls", tensors.filter { $0.name != "cls" }, true),
            ("no block 1", tensors.filter { !$0.name.hasPrefix("Transformer/encoderblock_1/") }, true),
            ("no block 0 query", tensors.filter { !$0.name.hasPrefix("Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query") }, false),
            ("renamed", tensors.map { TensorInfo(name: $0.name.replacingOccurrences(of: "MlpBlock_3", with: "Mlp"), dtype: $0.dtype, shape: $0.shape) }, false),
            ("extra", tensors + [TensorInfo(name: "extra/kernel", dtype: .float32, shape: [2])], false),
            ("unknown", [TensorInfo(name: "a", dtype: .float32, shape: [2]), TensorInfo(name: "b", dtype: .float32, shape: [3])], false),
            ("empty", [], false),
        ]
        for (what, files, fits) in damaged {
            Self.expectSameAsRanking(files, what)
            #expect(LayoutDetector(library: Self.library).best(files)?.isFull == fits, "\(what)")
        }
    }
}
