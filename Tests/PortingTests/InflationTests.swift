import Foundation
import Testing
import TensorIO
@testable import Porting

/// Names and shapes only: planning an inflation reads no data, so a ViT-B-sized source needs
/// no memory.
final class ShapeOnlySource: TensorSource {
    let path = "shape-only"
    let format = CheckpointFormat.npz
    let metadata: [String: String] = [:]
    let tensors: [TensorInfo]

    init(_ tensors: [TensorInfo]) {
        self.tensors = tensors
    }

    func read(_ name: String) throws(CheckpointError) -> Tensor {
        throw CheckpointError(.invalidRequest, file: path, tensor: name, "shape-only source")
    }

    /// A canonical ViT-B/16 at 224 px with a token classifier and a 1000-class head.
    static func vitB16() -> ShapeOnlySource {
        let d = 768, h = 12, m = 3072
        var infos = [
            TensorInfo(name: "embedding/kernel", dtype: .float32, shape: [16, 16, 3, d]),
            TensorInfo(name: "embedding/bias", dtype: .float32, shape: [d]),
            TensorInfo(name: "cls", dtype: .float32, shape: [1, 1, d]),
            TensorInfo(name: "Transformer/posembed_input/pos_embedding", dtype: .float32, shape: [1, 197, d]),
        ]
        for block in 0..<12 {
            let p = "Transformer/encoderblock_\(block)/"
            for (name, shape) in [
                ("LayerNorm_0/scale", [d]), ("LayerNorm_0/bias", [d]),
                ("MultiHeadDotProductAttention_0/query/kernel", [d, h, 64]), ("MultiHeadDotProductAttention_0/query/bias", [h, 64]),
                ("MultiHeadDotProductAttention_0/key/kernel", [d, h, 64]), ("MultiHeadDotProductAttention_0/key/bias", [h, 64]),
                ("MultiHeadDotProductAttention_0/value/kernel", [d, h, 64]), ("MultiHeadDotProductAttention_0/value/bias", [h, 64]),
                ("MultiHeadDotProductAttention_0/out/kernel", [h, 64, d]), ("MultiHeadDotProductAttention_0/out/bias", [d]),
                ("LayerNorm_1/scale", [d]), ("LayerNorm_1/bias", [d]),
                ("MlpBlock_0/Dense_0/kernel", [d, m]), ("MlpBlock_0/Dense_0/bias", [m]),
                ("MlpBlock_0/Dense_1/kernel", [m, d]), ("MlpBlock_0/Dense_1/bias", [d]),
            ] {
                infos.append(TensorInfo(name: p + name, dtype: .float32, shape: shape))
            }
        }
        infos += [
            TensorInfo(name: "Transformer/encoder_norm/scale", dtype: .float32, shape: [d]),
            TensorInfo(name: "Transformer/encoder_norm/bias", dtype: .float32, shape: [d]),
            TensorInfo(name: "output_projection/kernel", dtype: .float32, shape: [d, 1000]),
            TensorInfo(name: "output_projection/bias", dtype: .float32, shape: [1000]),
        ]
        return ShapeOnlySource(infos)
    }
}

@Suite("Inflation: the four models' trees, scenic's rules")
struct InflationTreeTests {
    static func inflate(_ options: InflationOptions) throws -> InflatedSource {
        let vit = ShapeOnlySource.vitB16()
        return try Inflater.inflate(vit, architecture: ViTArchitecture.infer(vit.tensors, file: "vit", heads: .stored(CanonicalViTFixture.heads)), layout: "test", options: options)
    }

    static func shapes(_ source: InflatedSource) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: source.tensors.map { ($0.name, $0.shape) })
    }

    @Test("Model 1, ViViT-B/16x2 at 32 frames: the tree of the reference's table")
    func model1() throws {
        var options = InflationOptions(model: .spacetime)
        options.classes = 400
        let result = try Self.inflate(options)
        let shapes = Self.shapes(result)
        #expect(shapes["embedding/kernel"] == [2, 16, 16, 3, 768])
        #expect(shapes["cls"] == [1, 1, 768])
        #expect(shapes["Transformer/posembed_input/pos_embedding"] == [1, 3137, 768])
        #expect(shapes["Transformer/encoderblock_11/MultiHeadDotProductAttention_0/out/kernel"] == [12, 64, 768])
        #expect(shapes["output_projection/kernel"] == [768, 400])
        #expect(result.tensors.count == 4 + 12 * 16 + 2 + 2)
        #expect(Set(result.report.dropped.map(\.name)) == ["output_projection/kernel", "output_projection/bias"])
    }

    @Test("Model 2: spatial transformer from the ViT, temporal transformer new, spatial CLS zero")
    func model2() throws {
        var options = InflationOptions(model: .factorisedEncoder)
        options.classes = 400
        let result = try Self.inflate(options)
        let shapes = Self.shapes(result)
        #expect(shapes["cls_SpatialTransformer"] == [1, 1, 768])
        #expect(shapes["SpatialTransformer/posembed_input/pos_embedding"] == [1, 197, 768])
        #expect(shapes["SpatialTransformer/encoderblock_11/LayerNorm_1/scale"] == [768])
        #expect(shapes["cls_TemporalTransformer"] == [1, 1, 768])
        #expect(shapes["TemporalTransformer/posembed_input/pos_embedding"] == [1, 17, 768])
        #expect(shapes["TemporalTransformer/encoderblock_3/MlpBlock_0/Dense_0/kernel"] == [768, 3072])
        #expect(shapes["TemporalTransformer/encoderblock_4/MlpBlock_0/Dense_0/kernel"] == nil)
        #expect(shapes["TemporalTransformer/encoder_norm/scale"] == [768])
        #expect(shapes["cls"] == nil && shapes["Transformer/posembed_input/pos_embedding"] == nil)
        let report = Dictionary(uniqueKeysWithValues: result.report.outputs.map { ($0.name, $0) })
        #expect(report["cls_SpatialTransformer"]?.origin == .initialised)
        #expect(report["SpatialTransformer/posembed_input/pos_embedding"]?.origin == .copied)
        #expect(report["TemporalTransformer/posembed_input/pos_embedding"]?.method?.hasPrefix("normal(stddev 0.02)") == true)
        #expect(report["TemporalTransformer/encoderblock_0/MlpBlock_0/Dense_0/bias"]?.method?.hasPrefix("normal(stddev 1e-06)") == true)
        #expect(report["TemporalTransformer/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel"]?.method?
            .hasPrefix("xavier_uniform(fan_in 768, fan_out 768)") == true)
        #expect(result.report.dropped.contains { $0.name == "cls" })
    }

    @Test("Model 3: space from the ViT, time a copy (scenic) or zero (paper), no CLS")
    func model3() throws {
        for attention in TemporalAttentionInit.allCases {
            var options = InflationOptions(model: .factorisedSelfAttention)
            options.temporalAttention = attention
            let result = try Self.inflate(options)
            let shapes = Self.shapes(result)
            let block = "Transformer/encoderblock_5/"
            #expect(shapes["Transformer/posembed_input/pos_embedding"] == [1, 3136, 768])
            #expect(shapes["cls"] == nil)
            for part in ["LayerNorm_time/scale", "MultiHeadDotProductAttention_time/query/kernel", "LayerNorm_space/bias",
                         "MultiHeadDotProductAttention_space/out/kernel", "LayerNorm_mlp/scale", "MlpBlock/Dense_1/kernel"] {
                #expect(shapes[block + part] != nil, "\(part)")
            }
            let origin = result.report.outputs.first { $0.name == block + "MultiHeadDotProductAttention_time/out/kernel" }?.origin
            #expect(origin == (attention == .copy ? .copied : .initialised))
            #expect(result.report.outputs.first { $0.name == block + "MultiHeadDotProductAttention_time/out/kernel" }?.from
                    == (attention == .copy ? [block + "MultiHeadDotProductAttention_0/out/kernel"] : nil))
        }
    }

    @Test("Model 4: Model 1's tree without CLS; an odd head count is refused")
    func model4() throws {
        let result = try Self.inflate(InflationOptions(model: .factorisedDotProduct))
        let shapes = Self.shapes(result)
        #expect(shapes["Transformer/posembed_input/pos_embedding"] == [1, 3136, 768])
        #expect(shapes["cls"] == nil && shapes["output_projection/kernel"] == nil)
        var infos = ShapeOnlySource.vitB16().tensors
        infos = infos.map { info in
            var info = info
            if info.name.hasSuffix("/kernel"), info.name.contains("query") || info.name.contains("key") || info.name.contains("value") {
                info.shape = [768, 3, 256]
            }
            return info
        }
        let odd = ShapeOnlySource(infos)
        #expect(throws: CheckpointError.self) {
            try Inflater.inflate(odd, architecture: ViTArchitecture.infer(odd.tensors, file: "odd", heads: .stored(3)), layout: "test",
                                 options: InflationOptions(model: .factorisedDotProduct))
        }
    }

    @Test("Requests the ViT cannot meet are errors that say what to do", arguments: [
        ({ var o = InflationOptions(model: .spacetime); o.frames = 31; return o }(), "do not divide into tubelets"),
        ({ var o = InflationOptions(model: .spacetime); o.imageHeight = 230; o.imageWidth = 230; return o }(), "does not divide into 16x16"),
        ({ var o = InflationOptions(model: .spacetime); o.tubeletHeight = 14; return o }(), "the ViT's patches are 16x16"),
        ({ var o = InflationOptions(model: .spacetime); o.imageHeight = 256; o.imageWidth = 256; o.positionalEmbedding = .tile; return o }(),
         "tiling cannot"),
        ({ var o = InflationOptions(model: .spacetime); o.positionalEmbedding = .resize; return o }(), "resize-tile"),
    ] as [(InflationOptions, String)])
    func refusals(options: InflationOptions, fragment: String) {
        do {
            _ = try Self.inflate(options)
            Issue.record("accepted")
        } catch let error as CheckpointError {
            #expect(error.description.contains(fragment), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("A new image size resizes each frame's grid, then tiles (never one space-time grid)")
    func resizeTile() throws {
        var options = InflationOptions(model: .spacetime)
        options.imageHeight = 256
        options.imageWidth = 256
        let result = try Self.inflate(options)
        #expect(Self.shapes(result)["Transformer/posembed_input/pos_embedding"] == [1, 1 + 16 * 16 * 16, 768])
        #expect(result.report.outputs.first { $0.name.hasSuffix("pos_embedding") }?.origin == .resizedTiled)
        var encoder = InflationOptions(model: .factorisedEncoder)
        encoder.imageHeight = 256
        encoder.imageWidth = 256
        let spatial = try Self.inflate(encoder)
        #expect(Self.shapes(spatial)["SpatialTransformer/posembed_input/pos_embedding"] == [1, 257, 768])
    }

    @Test("GFLOPs match the paper's ViViT-B/16x2 figures within 1.5%", arguments: [
        (VideoModel.spacetime, 455.2), (.factorisedEncoder, 284.4), (.factorisedSelfAttention, 372.3), (.factorisedDotProduct, 277.1),
    ])
    func compute(model: VideoModel, paper: Double) throws {
        var options = InflationOptions(model: model)
        options.classes = 400
        let gflops = try Self.inflate(options).config.multiplyAccumulatesPerView / 1e9
        #expect((gflops - paper).magnitude / paper < 0.015, "\(gflops) vs \(paper)")
    }
}

@Suite("Inflation: exact values")
struct InflationValueTests {
    @Test("ARP weights are Bilen et al.'s, divided by t", arguments: [
        (2, [-0.25, 0.25]), (3, [-0.4444, 0.2222, 0.2222]), (4, [-0.6042, 0.1458, 0.2708, 0.1875]),
    ])
    func arpWeights(frames: Int, expected: [Double]) {
        let weights = KernelInflation.arp.frameWeights(frames: frames)
        #expect(zip(weights, expected).allSatisfy { ($0 - $1).magnitude < 5e-5 })
        #expect(weights.reduce(0, +).magnitude < 1e-12)
    }

    @Test("Central puts the kernel at frame t // 2; average divides by t; both sum to the 2-D kernel exactly")
    func kernels() throws {
        let kernel = try Tensor(float32: (0..<24).map { Float($0) * 0.37 - 3 }, shape: [2, 2, 3, 2])
        let central = try KernelInflation.central.inflate(kernel, frames: 3)
        #expect(central.shape == [3, 2, 2, 3, 2])
        #expect(try central.slice(axis: 0, 1..<2).bytes.array == kernel.bytes.array)
        #expect(try central.slice(axis: 0, 0..<1).isAllZeroBytes && central.slice(axis: 0, 2..<3).isAllZeroBytes)
        let average = try KernelInflation.average.inflate(kernel, frames: 4)
        let frames = try (0..<4).map { (t) throws -> [Double] in try average.slice(axis: 0, t..<(t + 1)).doubleValues }
        // A static video through the tubelet kernel: the sum over frames is the 2-D kernel.
        let summed = (0..<24).map { i in frames.reduce(0.0) { $0 + $1[i] } }
        #expect(summed == kernel.doubleValues.map { Double(Float($0)) })
        #expect(frames[0] == kernel.doubleValues.map { Double(Float($0 / 4)) })
    }

    struct ZoomCase: Decodable {
        let input_shape: [Int]
        let output_shape: [Int]
        let input: [Double]
        let output: [Double]
    }

    @Test("2-D resize equals scipy.ndimage.zoom(order=1) bit for bit (recorded with scipy)")
    func zoomAgainstScipy() throws {
        let url = SchemaTests.repository.appendingPathComponent("Tests/Fixtures/inflation/zoom-reference.json")
        struct Reference: Decodable { let cases: [ZoomCase] }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        #expect(reference.cases.count == 10)
        for zoom in reference.cases {
            // The grid follows a row that is not part of it (a class token), as in a ViT's table.
            let width = zoom.input_shape[2]
            let table = try Tensor(float32: Array(repeating: Float.nan, count: width) + zoom.input.map { Float($0) },
                                   shape: [1, 1 + zoom.input_shape[0] * zoom.input_shape[1], width])
            let resized = try PositionalEmbedding.resized(table, first: 1, rows: zoom.input_shape[0], columns: zoom.input_shape[1],
                                                          toRows: zoom.output_shape[0], toColumns: zoom.output_shape[1])
            #expect(resized.bytes.isStreamed)
            #expect(resized.shape == [1, zoom.output_shape[0] * zoom.output_shape[1], width])
            // scipy computes in float64 and rounds to float32 once, as Tubelet does: bit for bit.
            let rounded = try resized.materialised().doubleValues.map { Float($0).bitPattern }
            let expected = zoom.output.map { Float($0).bitPattern }
            let differing = zip(rounded, expected).filter { $0 != $1 }.count
            #expect(differing == 0, "\(zoom.input_shape) → \(zoom.output_shape): \(differing) of \(expected.count) values differ")
        }
    }

    @Test("A resize whose grid rows are larger than a slice streams them and equals the resize of each channel alone")
    func resizeAcrossSlices() throws {
        // 2x2 → 3x3 positions of 400,000 channels: an output grid row (4.8 MB) spans two 4 MB
        // slices. Channels are independent in the resize, so every channel must equal the
        // resize of a table holding only that channel (checked against scipy above).
        let (width, rows, newRows) = (400_000, 2, 3)
        let values = (0..<((1 + rows * rows) * width)).map { Float(sin(Double($0) * 0.001)) }
        let table = try Tensor(float32: values, shape: [1, 1 + rows * rows, width])
        let resized = try PositionalEmbedding.resized(table, first: 1, rows: rows, columns: rows, toRows: newRows, toColumns: newRows)
        var whole: [UInt32] = []
        try resized.bytes.forEachSlice { slice in
            #expect(slice.count <= TensorBytes.sliceBytes)
            whole += slice.withMemoryRebound(to: UInt32.self) { Array($0) }
        }
        #expect(whole.count == newRows * newRows * width)
        for channel in [0, 1, 262_143, 262_144, 349_525, width - 1] {
            let alone = try Tensor(float32: (0..<(1 + rows * rows)).map { values[$0 * width + channel] }, shape: [1, 1 + rows * rows, 1])
            let expected = try PositionalEmbedding.resized(alone, first: 1, rows: rows, columns: rows, toRows: newRows, toColumns: newRows)
                .materialised().bytes.array.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
            #expect((0..<(newRows * newRows)).map { whole[$0 * width + channel] } == expected, "channel \(channel)")
        }
    }

    @Test("Tiling repeats the grid time-major and keeps the CLS row: P[1 + t·N + s] = G[s]")
    func tile() throws {
        let fixture = try CanonicalViTFixture.make()
        let architecture = try ViTArchitecture.infer(fixture.tensors, file: "fixture", heads: .stored(CanonicalViTFixture.heads))
        var options = InflationOptions(model: .spacetime)
        options.frames = 6
        options.tubeletFrames = 2
        options.tubeletHeight = 4
        options.tubeletWidth = 4
        let result = try Inflater.inflate(fixture, architecture: architecture, layout: "test", options: options)
        let source = try fixture.read("Transformer/posembed_input/pos_embedding").doubleValues
        let tiled = try result.read("Transformer/posembed_input/pos_embedding")
        #expect(tiled.shape == [1, 1 + 3 * 4, 8])
        let values = tiled.doubleValues
        #expect(Array(values[0..<8]) == Array(source[0..<8]))
        for t in 0..<3 {
            for s in 0..<4 {
                let row = 1 + t * 4 + s
                #expect(Array(values[(row * 8)..<(row * 8 + 8)]) == Array(source[((1 + s) * 8)..<((2 + s) * 8)]))
            }
        }
    }

    @Test("The classifier can change: a gap ViT gets scenic's fresh CLS, a token ViT can pool by averaging")
    func classifierChanges() throws {
        func inflate(_ vit: InMemorySource, _ model: VideoModel, _ classifier: ViTArchitecture.Classifier?) throws -> InflatedSource {
            var options = InflationOptions(model: model)
            options.frames = 4
            options.tubeletHeight = 4
            options.tubeletWidth = 4
            options.classifier = classifier
            return try Inflater.inflate(vit, architecture: ViTArchitecture.infer(vit.tensors, file: "vit", heads: .stored(CanonicalViTFixture.heads)), layout: "test", options: options)
        }
        let gap = try CanonicalViTFixture.make(classToken: false)
        let token = try inflate(gap, .spacetime, .token)
        #expect(try token.read("cls").isAllZeroBytes)
        let positions = try token.read("Transformer/posembed_input/pos_embedding")
        #expect(positions.shape == [1, 1 + 2 * 4, 8])
        // The grid rows are the ViT's; row 0 is a fresh draw from normal(0.02), seeded.
        #expect(try positions.slice(axis: 1, 1..<5).bytes.array == gap.read("Transformer/posembed_input/pos_embedding").bytes.array)
        #expect(try positions.slice(axis: 1, 0..<1).doubleValues.allSatisfy { $0 != 0 && $0.magnitude < 0.2 })
        #expect(token.report.outputs.first { $0.name == "Transformer/posembed_input/pos_embedding" }?.seed == 0)

        let withClass = try CanonicalViTFixture.make()
        let pooled = try inflate(withClass, .spacetime, .gap)
        #expect(pooled.info("cls") == nil)
        #expect(pooled.info("Transformer/posembed_input/pos_embedding")?.shape == [1, 2 * 4, 8])
        #expect(pooled.report.dropped.map(\.name) == ["cls", "output_projection/kernel", "output_projection/bias"])
        #expect(throws: CheckpointError.self) { try inflate(withClass, .factorisedSelfAttention, .token) }
        let encoder = try inflate(gap, .factorisedEncoder, .token)
        #expect(try encoder.read("cls_SpatialTransformer").isAllZeroBytes && encoder.read("cls_TemporalTransformer").isAllZeroBytes)
        #expect(encoder.info("TemporalTransformer/posembed_input/pos_embedding")?.shape == [1, 3, 8])
    }

    @Test("The same seed gives the same bytes; another seed other values")
    func seeds() throws {
        let fixture = try CanonicalViTFixture.make()
        let architecture = try ViTArchitecture.infer(fixture.tensors, file: "fixture", heads: .stored(CanonicalViTFixture.heads))
        func temporalKernel(seed: UInt64) throws -> [UInt8] {
            var options = InflationOptions(model: .factorisedEncoder)
            options.frames = 4
            options.tubeletHeight = 4
            options.tubeletWidth = 4
            options.seed = seed
            let result = try Inflater.inflate(fixture, architecture: architecture, layout: "test", options: options)
            return try result.read("TemporalTransformer/encoderblock_0/MlpBlock_0/Dense_0/kernel").bytes.array
        }
        #expect(try temporalKernel(seed: 7) == temporalKernel(seed: 7))
        #expect(try temporalKernel(seed: 7) != temporalKernel(seed: 8))
        // xavier_uniform(8, 16): every value within sqrt(6 / 24) = 0.5.
        let values = try Tensor(dtype: .float32, shape: [8, 16], bytes: TensorBytes(temporalKernel(seed: 1))).doubleValues
        #expect(values.allSatisfy { $0.magnitude <= 0.5 } && Set(values).count == values.count)
    }

    @Test("Every ViT tensor is used or listed as dropped, and every output is reported")
    func accounting() throws {
        let fixture = try CanonicalViTFixture.make(preLogits: true)
        let architecture = try ViTArchitecture.infer(fixture.tensors, file: "fixture", heads: .stored(CanonicalViTFixture.heads))
        for model in VideoModel.allCases {
            var options = InflationOptions(model: model)
            options.frames = 4
            options.tubeletHeight = 4
            options.tubeletWidth = 4
            options.classes = 5
            let result = try Inflater.inflate(fixture, architecture: architecture, layout: "test", options: options)
            #expect(result.report.outputs.map(\.name) == result.tensors.map(\.name))
            let used = Set(result.report.outputs.flatMap { $0.from ?? [] } + result.report.dropped.map(\.name))
            #expect(used.isSuperset(of: fixture.tensors.map(\.name)), "\(model)")
            #expect(result.report.dropped.contains { $0.name == "pre_logits/kernel" })
            for info in result.tensors {
                #expect(try result.read(info.name).shape == info.shape)
            }
        }
    }
}
