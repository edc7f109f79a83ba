import Foundation
import Testing
import TubeletTestSupport

/// One malformed input and what `tubelet` must say about it: the suites of malformed
/// npy/npz, PyTorch/safetensors and HDF5 files are tables of these, all checked by
/// ``check()``.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    enum Command: String, Sendable {
        /// `tubelet inspect FILE` (headers only).
        case inspect
        /// `tubelet inspect --stats FILE` (reads every tensor).
        case inspectStats = "inspect --stats"
        /// `tubelet convert FILE OUTDIR/<output>`.
        case convert
    }

    /// A path under Tests/Fixtures (`malformed/npy-empty.npy`), with a README in its folder.
    var fixture: String
    var command: Command
    /// Every one of these must appear in the error message.
    var fragments: [String]
    /// Extra options, placed before the file.
    var options: [String] = []
    /// The file `convert` writes (default: `out` with the input's extension).
    var output: String?

    var testDescription: String {
        ([command.rawValue] + options + [fixture]).joined(separator: " ")
    }

    /// Refused when the file is opened: by `inspect` and by `convert`.
    static func atOpen(_ fixture: String, _ fragments: String..., options: [String] = [], output: String? = nil) -> [MalformedCase] {
        [.inspect, .convert].map { MalformedCase(fixture: fixture, command: $0, fragments: fragments, options: options, output: output) }
    }

    /// Refused only when tensor data is read: by `inspect --stats` and by `convert`.
    static func atRead(_ fixture: String, _ fragments: String..., output: String? = nil) -> [MalformedCase] {
        [.inspectStats, .convert].map { MalformedCase(fixture: fixture, command: $0, fragments: fragments, output: output) }
    }

    /// Runs the case on a copy of the fixture and checks a clean refusal: exit status 1, one
    /// `Error: <file>: …` line holding every fragment, nothing on stdout, no output or
    /// temporary file left, the input untouched and nothing new beside it (a pickle that
    /// names `os.system` would create a file if it ran).
    func check(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let inputs = directory.appendingPathComponent("input", isDirectory: true)
            let outputs = directory.appendingPathComponent("output", isDirectory: true)
            try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: false)
            try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: false)
            let input = try Self.copyFixture(fixture, into: inputs)
            let before = try TestSupport.contents(of: inputs)
            let original = try Data(contentsOf: input)

            let arguments: [String] = switch command {
            case .inspect: ["inspect"] + options + [input.path]
            case .inspectStats: ["inspect", "--stats"] + options + [input.path]
            case .convert:
                ["convert"] + options + [input.path, outputs.appendingPathComponent(output ?? "out." + input.pathExtension).path]
            }
            let result = try await TestSupport.runTubelet(arguments)

            Self.expectRefusal(result, naming: input.path, containing: fragments, sourceLocation: sourceLocation)
            try Self.expectContents(outputs, [], sourceLocation: sourceLocation)
            #expect(try TestSupport.contents(of: inputs) == before, "a file appeared beside the input", sourceLocation: sourceLocation)
            #expect(try Data(contentsOf: input) == original, "the input was modified", sourceLocation: sourceLocation)
        }
    }

    /// `result` is a clean refusal: exit status 1 within the timeout, nothing on stdout, one
    /// line on stderr, `Error: <file>: …`, holding every fragment, and no diagnostics a C
    /// library printed on its own (libhdf5's `HDF5-DIAG`).
    static func expectRefusal(
        _ result: TestSupport.RunResult, naming file: String, containing fragments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        if result.timedOut || result.terminatedBySignal {
            Issue.record("expected a clean exit with status 1: \(result)", sourceLocation: sourceLocation)
            return
        }
        #expect(result.exitStatus == 1, "expected exit status 1: \(result)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "expected nothing on stdout: \(result)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "expected a single error line: \(result)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("HDF5-DIAG"), "libhdf5 printed its diagnostics: \(result)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("Error: \(file): "), "expected the message to start with 'Error: \(file): ': \(result)",
                sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "expected '\(fragment)' in the message: \(result)", sourceLocation: sourceLocation)
        }
    }

    /// `directory` holds exactly `names`: no partial output, no temporary file.
    static func expectContents(_ directory: URL, _ names: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let contents = try TestSupport.contents(of: directory)
        #expect(contents == names.sorted(), "unexpected files in \(directory.path)", sourceLocation: sourceLocation)
    }

    /// Copies the fixture at `relativePath` under Tests/Fixtures into `directory`, so no run
    /// can leave anything in Tests/Fixtures. A shard index comes with the `valid.safetensors`
    /// shard beside it, which it refers to.
    static func copyFixture(_ relativePath: String, into directory: URL) throws -> URL {
        let source = TestSupport.fixture(relativePath)
        try #require(FileManager.default.fileExists(atPath: source.path),
                     "missing fixture \(source.path): run the make_*.py script in its folder")
        let copy = directory.appendingPathComponent(source.lastPathComponent)
        try FileManager.default.copyItem(at: source, to: copy)
        if relativePath.hasSuffix(".index.json") {
            let shard = source.deletingLastPathComponent().appendingPathComponent("valid.safetensors")
            try FileManager.default.copyItem(at: shard, to: directory.appendingPathComponent("valid.safetensors"))
        }
        return copy
    }

    /// The fixture files in `folder` (paths `folder/name`) whose names pass `include`.
    static func fixtures(in folder: String, where include: (String) -> Bool) throws -> Set<String> {
        Set(try TestSupport.contents(of: TestSupport.fixture(folder)).filter(include).map { "\(folder)/\($0)" })
    }
}
