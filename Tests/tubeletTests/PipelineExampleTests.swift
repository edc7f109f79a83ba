import Foundation
import Porting
import Testing
import TubeletTestSupport

// The example of Sources/Porting/Porting.docc/InflatingACheckpoint.md, exactly as the article
// shows it (a test below checks that the article still does).
func inflate(_ source: String, to output: String) throws {
    let pipeline = try Pipeline()
    let vit = try pipeline.open(source)
    print("\(source): \(vit.match.layoutDescription)")

    var options = InflationOptions(model: .spacetime)
    options.frames = 8
    options.classes = 10
    let inflation = try vit.inflate(options)
    for note in inflation.notes(for: .hf) { print(note) }

    try inflation.write(to: output, format: .hf)
    print(inflation.report.summary)
}

@Suite("The DocC article's inflation example")
struct PipelineExampleTests {
    static let article = TestSupport.repositoryRoot.appendingPathComponent("Sources/Porting/Porting.docc/InflatingACheckpoint.md")

    /// Every file below `directory`, by relative path, with its bytes.
    static func files(in directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try TestSupport.contents(of: directory) {
            files[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return files
    }

    @Test("writes the same bytes as tubelet inflate --format hf with the same options",
          arguments: ["ViT-tiny_16.npz", "vit-tiny-hf"])
    func sameBytesAsTheCommand(sample: String) async throws {
        let source = TestSupport.repositoryRoot.appendingPathComponent("Checkpoints/\(sample)").path
        try await TestSupport.withTemporaryDirectory { directory in
            let fromSwift = directory.appendingPathComponent("swift")
            let fromCommand = directory.appendingPathComponent("command")
            try inflate(source, to: fromSwift.path)
            let run = try await TestSupport.runTubelet(["inflate", source, "-o", fromCommand.path, "--format", "hf",
                                                        "--model", "spacetime", "--frames", "8", "--classes", "10"])
            #expect(run.exitStatus == 0, "\(run)")
            let written = try Self.files(in: fromSwift)
            #expect(written.keys.sorted() == ["config.json", "model.safetensors"])
            #expect(written == (try Self.files(in: fromCommand)))
        }
    }

    @Test("the article shows this file's example verbatim")
    func articleShowsTheTestedCode() throws {
        let article = try String(contentsOf: Self.article, encoding: .utf8)
        let test = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let start = try #require(article.range(of: "```swift\nimport Porting\n\n"))
        let end = try #require(article.range(of: "\n```", range: start.upperBound..<article.endIndex))
        let example = String(article[start.upperBound..<end.lowerBound])
        #expect(example.hasPrefix("func inflate("))
        #expect(test.contains(example + "\n"))
    }
}
