import Foundation
import Testing
import TensorIO
import TubeletTestSupport

/// End-to-end runs of the built `tubelet` that succeed: `inspect`, `diff` and `inflate` on the
/// sample checkpoints in `Checkpoints/` (each written by its own ecosystem's library; see
/// its README for what each holds). The malformed-input suites check the refusals; these
/// check the answers, against what TensorIO reads from the same files.
@Suite("Successful commands, end to end")
struct SuccessfulCommandTests {
    /// Running the debug binary while the other suites run in parallel can be slow.
    static let timeout: Duration = .seconds(60)

    /// The sample ViT-tiny_16's architecture, as `Checkpoints/make_samples.py` builds it.
    static let tinySummary = "ViT/16 (width 64, depth 2, 4 heads, MLP 128), 64 px, token classifier, 10 classes"

    @Test("inspect lists every tensor TensorIO reads, the totals and the layout", arguments: [
        ("ViT-tiny_16.npz", "npz", "layout: vision_transformer — \(tinySummary)"),
        ("ViT-tiny_16.h5", "hdf5", "layout: vision_transformer — \(tinySummary)"),
        ("vit-tiny-timm.safetensors", "safetensors",
         "layout: timm — ViT/16 (width 64, depth 2, heads not stored, MLP 128), 64 px, token classifier, 10 classes"),
        ("vit-tiny-timm.pth", "pytorch",
         "layout: timm — ViT/16 (width 64, depth 2, heads not stored, MLP 128), 64 px, token classifier, 10 classes"),
        ("vit-tiny-big_vision.npz", "npz", "layout: big_vision (prefix 'params/') — \(tinySummary)"),
    ])
    func inspect(file: String, format: String, layoutLine: String) async throws {
        let path = TestSupport.checkpoint(file).path
        let source = try Checkpoint.open(path)
        let result = try await TestSupport.runTubelet(["inspect", path], timeout: Self.timeout)
        try #require(result.exitStatus == 0, "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")

        let lines = result.stdout.split(separator: "\n").map(String.init)
        // The header, a row per tensor in the file's order, then the totals and the layout.
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "DTYPE", "SHAPE", "PARAMS", "BYTES"])
        let rows = lines.dropFirst().prefix(source.tensors.count)
        for (row, info) in zip(rows, source.tensors) {
            let cells = row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            #expect(cells.first == info.name && cells.dropFirst().first == info.dtype.rawValue, "row '\(row)' for \(info.name)")
            #expect(row.contains(Shape.describe(info.shape)), "row '\(row)' lacks the shape \(Shape.describe(info.shape))")
        }
        let parameters = source.tensors.reduce(0) { $0 + $1.elementCount }
        let totals = "\(path): \(format), \(source.tensors.count) tensors, \(parameters.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) parameters"
        #expect(lines.contains { $0.hasPrefix(totals) }, "expected a line starting '\(totals)': \(result)")
        #expect(lines.contains(layoutLine), "expected the line '\(layoutLine)': \(result)")
    }

    @Test("inspect --json: one document with every tensor, the totals and the architecture")
    func inspectJSON() async throws {
        let path = TestSupport.checkpoint("ViT-tiny_16.npz").path
        let source = try Checkpoint.open(path)
        let result = try await TestSupport.runTubelet(["inspect", "--json", path], timeout: Self.timeout)
        try #require(result.exitStatus == 0, "\(result)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])

        let tensors = try #require(document["tensors"] as? [[String: Any]])
        #expect(tensors.compactMap { $0["name"] as? String } == source.tensors.map(\.name))
        #expect(tensors.compactMap { $0["shape"] as? [Int] } == source.tensors.map(\.shape))
        let totals = try #require(document["totals"] as? [String: Any])
        #expect(totals["tensors"] as? Int == source.tensors.count)
        #expect(totals["parameters"] as? Int == source.tensors.reduce(0) { $0 + $1.elementCount })

        let layout = try #require(document["layout"] as? [String: Any])
        #expect(layout["name"] as? String == "vision_transformer")
        let architecture = try #require(layout["architecture"] as? [String: Any])
        #expect(architecture["width"] as? Int == 64 && architecture["depth"] as? Int == 2 && architecture["heads"] as? Int == 4)
        #expect(architecture["mlp_width"] as? Int == 128 && architecture["patch_size"] as? [Int] == [16, 16])
        #expect(architecture["classes"] as? Int == 10)
    }

    @Test("diff: the same weights in two formats, and across layouts by canonical names, match (exit 0)", arguments: [
        (["ViT-tiny_16.npz", "ViT-tiny_16.h5"], "match: 40 tensors compared by the files' own names, 0 differ"),
        (["ViT-tiny_16.npz", "vit-tiny-hf-classifier", "--heads", "4"],
         "match: 40 tensors compared by canonical names (vision_transformer vs hf-vit-classifier), 0 differ"),
        (["vit-tiny-timm.safetensors", "vit-tiny-timm.pth"], "match: 32 tensors compared by the files' own names, 0 differ"),
    ])
    func diffMatching(arguments: [String], summary: String) async throws {
        let files = arguments.prefix(2).map { TestSupport.checkpoint($0).path }
        let result = try await TestSupport.runTubelet(["diff"] + files + arguments.dropFirst(2), timeout: Self.timeout)
        #expect(result.exitStatus == 0, "\(result)")
        #expect(result.stdout.contains("\(files[0]) and \(files[1]) \(summary)"), "\(result)")
    }

    @Test("diff names the tensors that differ and exits 2: big_vision keeps the CLS position in cls")
    func diffDiffering() async throws {
        let files = ["ViT-tiny_16.npz", "vit-tiny-big_vision.npz"].map { TestSupport.checkpoint($0).path }
        let result = try await TestSupport.runTubelet(["diff"] + files, timeout: Self.timeout)
        #expect(result.exitStatus == 2, "\(result)")
        let differing = result.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(differing.prefix(2) == ["cls", "Transformer/posembed_input/pos_embedding"], "\(result)")
        #expect(result.stdout.contains("2 differ, 0 only in the first, 0 only in the second"), "\(result)")
    }

    @Test("inflate (the README's command): the output reads back with exact values, and the report accounts for it")
    func inflate() async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = TestSupport.checkpoint("ViT-tiny_16.npz").path
            let output = directory.appendingPathComponent("ViViT-tiny_16x2.npz").path
            let report = directory.appendingPathComponent("report.json").path
            let result = try await TestSupport.runTubelet(
                ["inflate", input, "-o", output, "--model", "spacetime", "--frames", "8", "--classes", "10", "--report", report],
                timeout: Self.timeout)
            try #require(result.exitStatus == 0, "\(result)")
            #expect(try TestSupport.contents(of: directory) == ["ViViT-tiny_16x2.npz", "report.json"], "no temporary file is left")

            let source = try Checkpoint.open(input)
            let inflated = try Checkpoint.open(output)
            func bytes(_ tensor: Tensor) -> [UInt8] { tensor.bytes.array }

            // The tubelet kernel [2, 16, 16, 3, 64], initialised on the central frame (scenic's
            // central_frame_initializer): frame 1 is the image kernel, frame 0 zeros.
            let kernel = try inflated.read("embedding/kernel")
            #expect(kernel.shape == [2, 16, 16, 3, 64])
            let imageKernel = try source.read("embedding/kernel")
            #expect(bytes(try kernel.slice(axis: 0, 1..<2)) == bytes(imageKernel))
            #expect(try kernel.slice(axis: 0, 0..<1).isAllZeroBytes)

            // Positions: the CLS row kept, the 16 patch rows repeated for each of the 8 / 2 = 4
            // temporal positions, time-major.
            let positions = try inflated.read("Transformer/posembed_input/pos_embedding")
            let imagePositions = try source.read("Transformer/posembed_input/pos_embedding")
            #expect(positions.shape == [1, 1 + 4 * 16, 64])
            #expect(bytes(try positions.slice(axis: 1, 0..<1)) == bytes(try imagePositions.slice(axis: 1, 0..<1)))
            for time in 0..<4 {
                #expect(bytes(try positions.slice(axis: 1, (1 + 16 * time)..<(1 + 16 * (time + 1))))
                        == bytes(try imagePositions.slice(axis: 1, 1..<17)), "temporal position \(time)")
            }

            // The encoder is copied bit for bit, from vision_transformer's pre-Linen names to
            // scenic's; the classifier is scenic's zero output_projection for 10 classes.
            #expect(bytes(try inflated.read("cls")) == bytes(try source.read("cls")))
            for (scenic, original) in [
                ("MultiHeadDotProductAttention_0/query/kernel", "MultiHeadDotProductAttention_1/query/kernel"),
                ("MlpBlock_0/Dense_1/kernel", "MlpBlock_3/Dense_1/kernel"),
                ("LayerNorm_1/scale", "LayerNorm_2/scale"),
            ] {
                #expect(bytes(try inflated.read("Transformer/encoderblock_1/\(scenic)"))
                        == bytes(try source.read("Transformer/encoderblock_1/\(original)")), "\(scenic)")
            }
            let classifier = try inflated.read("output_projection/kernel")
            #expect(classifier.shape == [64, 10] && classifier.isAllZeroBytes)
            #expect(inflated.tensors.count == 40 && !inflated.tensors.contains { $0.name.hasPrefix("head/") })

            let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
            let outputs = try #require(document["outputs"] as? [[String: Any]])
            #expect(outputs.compactMap { $0["name"] as? String } == inflated.tensors.map(\.name), "the report lists every output tensor")
            #expect(outputs.first?["origin"] as? String == "inflated")
        }
    }
}
