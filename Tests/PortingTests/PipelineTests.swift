import Foundation
import Porting
import Testing
import TensorIO

/// The pipeline facade: results carry notes and errors name settings as values.
@Suite("Pipeline")
struct PipelineTests {
    static let checkpoints = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Checkpoints")

    static func sample(_ name: String) -> String { checkpoints.appendingPathComponent(name).path }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tubelet-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("A head count nothing gives is refused naming the heads setting, which a caller names its own way")
    func headCountSetting() throws {
        let timm = try Pipeline().open(Self.sample("vit-tiny-timm.pth"))
        #expect(timm.match.headCount == .unknown)
        do {
            _ = try timm.convert(to: "vision_transformer")
            Issue.record("the conversion needed no head count")
        } catch {
            #expect(error.settings == [.heads])
            #expect(error.fix == "Pass ModelOverrides.heads N, or put the model's config.json (Hugging Face's or timm's) beside the weights")
            #expect(error.description(naming: { $0 == .heads ? "--heads" : "?" }).hasSuffix(". Pass --heads N, or put the model's config.json (Hugging Face's or timm's) beside the weights"))
        }
        // Given, the same conversion goes through and says nothing was assumed about heads.
        let given = try Pipeline(overrides: ModelOverrides(heads: 4)).open(Self.sample("vit-tiny-timm.pth"))
        let conversion = try given.convert(to: "vision_transformer")
        #expect(conversion.notes.first == PipelineNote(.layout, "layout: timm → vision_transformer"))
        #expect(!conversion.notes.contains { $0.kind == .assumption })
        let sample = try Checkpoint.open(Self.sample("ViT-tiny_16.npz"))
        #expect(Set(conversion.source.tensors.map(\.name)) == Set(sample.tensors.map(\.name)))
    }

    @Test("Invalid options are refused once, by the options themselves, naming the setting")
    func invalidOptions() throws {
        var options = InflationOptions(model: .spacetime)
        #expect(options.invalidOption == nil)
        options.classes = 0
        #expect(options.invalidOption?.settings == [.classes])
        #expect(options.invalidOption?.rendered { _ in "--classes" } == "--classes must be positive, not 0")
        let vit = try Pipeline().open(Self.sample("ViT-tiny_16.npz"))
        #expect(throws: CheckpointError(.invalidRequest, file: vit.path, "\(setting: .classes) must be positive, not 0")) {
            try vit.inflate(options)
        }
        #expect(ModelOverrides(heads: 0).invalidOption?.settings == [.heads])
        #expect(throws: CheckpointError.self) { try Pipeline(overrides: ModelOverrides(layerNormEpsilon: -1)) }
    }

    @Test("The report's texts name settings as the caller's naming says, in its summary and its JSON")
    func reportNaming() throws {
        let vit = try Pipeline().open(Self.sample("ViT-tiny_16.npz"))
        var options = InflationOptions(model: .spacetime)
        options.frames = 4
        let report = try vit.inflate(options).report
        let head = try #require(report.dropped.first { $0.name == "output_projection/kernel" })
        #expect(head.reasonText.settings == [.classes])
        #expect(head.reason.hasSuffix("(pass InflationOptions.classes to create one)"))
        #expect(report.summary(naming: { _ in "CLASSES" }).contains("(pass CLASSES to create one)"))
        let json = report.jsonText(naming: { _ in "CLASSES" })
        #expect(json.contains("(pass CLASSES to create one)"))
        #expect(!json.contains("InflationOptions"))
        #expect(report.outputs.first { $0.name == "cls" }?.origin == .copied)
        #expect(report.outputs.allSatisfy { $0.dtype == .float32 })
        #expect(json.contains("\"origin\" : \"inflated\""))
    }

    @Test("The report states every option as run, defaults resolved, and only those that apply to the model", arguments: VideoModel.allCases)
    func reportOptions(model: VideoModel) throws {
        let vit = try Pipeline().open(Self.sample("ViT-tiny_16.npz"))
        var options = InflationOptions(model: model)
        options.frames = 4
        options.imageHeight = 96
        options.imageWidth = 96
        let inflation = try vit.inflate(options)
        let settings = inflation.report.settings
        #expect(settings.tubelet == (model == .timesformer ? [1, 16, 16] : [2, 16, 16]) && settings.imageSize == [96, 96])
        // The grid changes from 4x4 to 6x6: resized per frame for Model 2 and TimeSformer, else resized and tiled.
        #expect(settings.positionalEmbedding == (model == .factorisedEncoder || model == .timesformer ? .resize : .resizeTile))
        #expect(settings.classifier == (model.allowsClassToken ? .token : .gap))
        #expect((settings.temporalLayers != nil) == (model == .factorisedEncoder))
        #expect((settings.copySpatialClassToken != nil) == (model == .factorisedEncoder))
        #expect((settings.temporalAttention != nil) == (model == .factorisedSelfAttention || model == .timesformer))
        #expect((settings.kernelInflation != nil) == (model != .timesformer))
        let format: Inflation.Format = model == .timesformer ? .safetensors : .npz
        let written = try inflation.output(format, dtype: .float16).report
        #expect(written.settings.dtype == .float16 && written.outputs.allSatisfy { $0.dtype == .float16 })
        let json = written.jsonText()
        #expect(json.contains(#""document" : "tubelet.report""#) && json.contains(#""format_version" : 1"#))
        #expect(json.contains(#""tubelet_version" : "\#(DocumentHeader.tubeletVersion)""#))
        #expect(json.contains("temporal_layers") == (model == .factorisedEncoder))
        #expect(Self.keys(try JSONSerialization.jsonObject(with: Data(json.utf8))).allSatisfy { key in
            key.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }
        })
    }

    /// Every key of a parsed JSON value, at any depth.
    static func keys(_ value: Any) -> [String] {
        if let object = value as? [String: Any] { return object.keys + object.values.flatMap(keys) }
        if let array = value as? [Any] { return array.flatMap(keys) }
        return []
    }

    @Test("A layout from a schema file that names a Hugging Face class is written as a Hugging Face directory")
    func schemaFileHuggingFaceDirectory() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let builtin = Self.checkpoints.deletingLastPathComponent().appendingPathComponent("Schemas/hf-vit-classifier.json")
        let text = try String(contentsOf: builtin, encoding: .utf8)
            .replacingOccurrences(of: "\"name\": \"hf-vit-classifier\"", with: "\"name\": \"my-vit-classifier\"")
        let file = directory.appendingPathComponent("my-vit-classifier.json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        var library = try SchemaLibrary.builtin()
        try library.add(file: file.path)

        let vit = try Pipeline(library: library).open(Self.sample("ViT-tiny_16.npz"))
        let mine = try vit.huggingFaceViT("my-vit-classifier")
        let theirs = try vit.huggingFaceViT("hf-vit-classifier")
        #expect(mine.modelClass == .vitForImageClassification)
        #expect(mine.config == theirs.config)
        #expect(mine.source.tensors == theirs.source.tensors)
        let output = directory.appendingPathComponent("out").path
        try mine.write(to: output)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/config.json"))) as? [String: Any]
        #expect(config?["architectures"] as? [String] == ["ViTForImageClassification"])

        // A layout that names no class is refused as what it is.
        #expect(throws: CheckpointError.self) { try vit.huggingFaceViT("timm") }
    }

    @Test("Comparing two layouts of the same weights splits heads alike and compares canonical names")
    func comparison() throws {
        let pipeline = try Pipeline()
        let npz = try Checkpoint.open(Self.sample("ViT-tiny_16.npz"))
        let timm = try Checkpoint.open(Self.sample("vit-tiny-timm.pth"))
        let comparison = try pipeline.compare(npz, timm)
        #expect(comparison.basis == "canonical names (vision_transformer vs timm)")
        #expect(comparison.tensors.onlyInFirst.isEmpty && comparison.tensors.onlyInSecond.isEmpty)
        #expect(comparison.tensors.entries.count == 40)
        let same = try pipeline.compare(npz, npz)
        #expect(same.basis == "the files' own names" && same.isEqual)
    }
}
