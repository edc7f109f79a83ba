import Foundation
import Testing
import TubeletTestSupport

/// The PyTorch and safetensors counterpart of `MalformedInputTests`: every malformed file
/// in Tests/Fixtures/malformed-torch and malformed-safetensors (made by the generator
/// scripts there) gives exit status 1, one `Error: FILE: …` line naming the cause, no crash,
/// and no output file; a pickle that names `os.system` is refused without being run.
@Suite("Malformed PyTorch and safetensors files fail cleanly")
struct MalformedTorchTests {
    /// Refused by every command, because opening the file reads what is wrong.
    static func headers(_ fixture: String, _ fragments: String...) -> [MalformedCase] {
        [.inspect, .convert].map { MalformedCase(fixture: fixture, command: $0, fragments: fragments, output: "out.safetensors") }
    }

    /// Refused only when tensor data is read.
    static func data(_ fixture: String, _ fragments: String...) -> [MalformedCase] {
        [.inspectStats, .convert].map { MalformedCase(fixture: fixture, command: $0, fragments: fragments, output: "out.safetensors") }
    }

    /// A valid control file refused because `options` lower a limit below what it declares.
    static func limited(_ fixture: String, _ options: [String], _ fragments: String...) -> [MalformedCase] {
        [.inspect, .convert].map {
            MalformedCase(fixture: fixture, command: $0, fragments: fragments, options: options, output: "out.safetensors")
        }
    }

    static let torch: [[MalformedCase]] = [
        // The container.
        headers("malformed-torch/torch-truncated.pth", "not a zip archive, or truncated"),
        headers("malformed-torch/torch-missing-data-pkl.pth", "has no torch-missing-data-pkl/data.pkl"),
        headers("malformed-torch/torch-no-version.pth", "no torch-no-version/version record"),
        headers("malformed-torch/torch-bad-byteorder.pth", "byte order is 'middle'"),
        headers("malformed-torch/torch-no-folder.pth", "not in a top-level folder"),
        headers("malformed-torch/torch-torchscript.pt", "TorchScript archive", "torch.jit.load"),
        headers("malformed-torch/torch-legacy.pt", "legacy (pre-1.6, non-zip) PyTorch checkpoint", "Re-save"),
        // Storages against the pickle.
        headers("malformed-torch/torch-storage-short.pth", "'weight'", "holds 8 bytes", "= 16 bytes"),
        headers("malformed-torch/torch-storage-long.pth", "'weight'", "holds 20 bytes", "= 16 bytes"),
        headers("malformed-torch/torch-missing-storage.pth", "'weight'", "data/9 is missing"),
        headers("malformed-torch/torch-view-out-of-bounds.pth", "'weight'", "exceeds storage 0 of 4 elements"),
        headers("malformed-torch/torch-negative-stride.pth", "'weight'", "negative stride -1"),
        headers("malformed-torch/torch-unsupported-dtype.pth", "'weight'", "dtype torch.float8_e4m3fn is not supported"),
        headers("malformed-torch/torch-complex-storage.pth", "'weight'", "torch.ComplexFloatStorage is not supported"),
        headers("malformed-torch/torch-storage-redeclared.pth", "storage 0 is declared twice"),
        data("malformed-torch/torch-crc-mismatch.pth", "'weight'", "CRC error"),
        // Pickles that try to run code: refused by name, never run.
        headers("malformed-torch/torch-global-os-system.pth", "Unsupported global: GLOBAL os.system", "not run"),
        headers("malformed-torch/torch-global-in-state-dict.pth", "Unsupported global: GLOBAL argparse.Namespace"),
        headers("malformed-torch/torch-inst-opcode.pth", "unsupported pickle opcode 0x69 (INST)"),
        headers("malformed-torch/torch-stack-global.pth", "unsupported pickle opcode 0x8c (SHORT_BINUNICODE)"),
        // Pickles that break the machine's rules.
        headers("malformed-torch/torch-forbidden-opcode.pth", "unsupported pickle opcode 0x95 (FRAME)"),
        headers("malformed-torch/torch-unbalanced-stack.pth", "stops with 2 values on its stack"),
        headers("malformed-torch/torch-open-mark.pth", "MARK(s) still open"),
        headers("malformed-torch/torch-stack-underflow.pth", "stack underflow"),
        headers("malformed-torch/torch-memo-miss.pth", "memo entry 5 is read before it is written"),
        headers("malformed-torch/torch-no-stop.pth", "ends without a STOP"),
        headers("malformed-torch/torch-truncated-string.pth", "needs 65535 bytes but only 3 remain"),
        headers("malformed-torch/torch-mark-depth.pth", "MARKs nest deeper than the limit of 1000"),
        headers("malformed-torch/torch-deep-nesting.pth", "deeper than 64 levels"),
        headers("malformed-torch/torch-setitem-on-list.pth", "SETITEM on a list"),
        headers("malformed-torch/torch-persid-not-storage.pth", "persistent id is not ('storage'"),
        // Sizes, shapes and names that lie, and the limits.
        headers("malformed-torch/torch-rank-over-limit.pth", "a tensor has 65 dimensions, over the limit of 64", "--max-rank"),
        headers("malformed-torch/torch-shape-overflow.pth", "'weight'", "sizes whose product overflows 64 bits"),
        headers("malformed-torch/torch-duplicate-record.pth", "data/0'", "two records with this name"),
        headers("malformed-torch/torch-zip-bomb-claim.pth", "data/0'", "claims 4000000000 bytes from", "possible zip bomb"),
        limited("malformed-torch/valid.pth", ["--max-header-bytes", "16"], "data.pkl is 172 bytes, over the limit of 16", "--max-header-bytes"),
        limited("malformed-torch/valid.pth", ["--max-rank", "1"], "2 dimensions, over the limit of 1"),
        limited("malformed-torch/valid.pth", ["--max-tensors", "2"], "lists 4 members, over the limit of 2", "--max-tensors"),
    ]

    static let safetensors: [[MalformedCase]] = [
        headers("malformed-safetensors/st-header-past-eof.safetensors", "declares 5000 bytes but only 64 follow"),
        headers("malformed-safetensors/st-header-too-large.safetensors", "declares 200000000 bytes", "limit of 100000000"),
        headers("malformed-safetensors/st-truncated-length.safetensors", "unrecognised checkpoint format"),
        headers("malformed-safetensors/st-truncated-header.safetensors", "declares 88 bytes but only 22 follow"),
        limited("malformed-safetensors/valid.safetensors", ["--max-header-bytes", "16"], "declares 88 bytes, over the limit of 16", "--max-header-bytes"),
        headers("malformed-safetensors/st-invalid-json.safetensors", "not valid JSON"),
        headers("malformed-safetensors/st-invalid-utf8.safetensors", "not valid UTF-8"),
        headers("malformed-safetensors/st-nul-padding.safetensors", "byte 0x0 after the end of the JSON value"),
        headers("malformed-safetensors/st-deep-nesting.safetensors", "nesting deeper than 64"),
        headers("malformed-safetensors/st-duplicate-key.safetensors", "the key \"w\" appears twice"),
        headers("malformed-safetensors/st-duplicate-field.safetensors", "the key \"dtype\" appears twice"),
        headers("malformed-safetensors/st-metadata-not-string.safetensors", "'epoch' is a number", "must be strings"),
        headers("malformed-safetensors/st-missing-field.safetensors", "'w'", "no 'data_offsets'"),
        headers("malformed-safetensors/st-unknown-dtype.safetensors", "'w'", "unknown dtype 'F128'"),
        headers("malformed-safetensors/st-lowercase-dtype.safetensors", "'w'", "unknown dtype 'f32'", "case-sensitive"),
        headers("malformed-safetensors/st-unsupported-dtype.safetensors", "'w'", "dtype F8_E4M3 is not supported"),
        headers("malformed-safetensors/st-negative-shape.safetensors", "'w'", "the shape holds -2"),
        headers("malformed-safetensors/st-float-offset.safetensors", "'w'", "holds 0.0 and 8"),
        headers("malformed-safetensors/st-shape-overflow.safetensors", "'w'", "overflows 64-bit sizes"),
        headers("malformed-safetensors/st-size-mismatch.safetensors", "'w'", "needs 16 bytes", "span 8"),
        headers("malformed-safetensors/st-overlapping-offsets.safetensors", "'b'", "overlaps the previous tensor"),
        headers("malformed-safetensors/st-gap-offsets.safetensors", "'b'", "leaves a gap"),
        headers("malformed-safetensors/st-reversed-offsets.safetensors", "'w'", "the end comes before the beginning"),
        headers("malformed-safetensors/st-truncated-data.safetensors", "need 16 bytes of data but the file holds 8"),
        headers("malformed-safetensors/st-trailing-bytes.safetensors", "file not fully covered"),
        headers("malformed-safetensors/st-index-missing-shard.safetensors.index.json", "model-00001-of-00002.safetensors", "not a file beside it"),
        headers("malformed-safetensors/st-index-unlisted-tensor.safetensors.index.json", "'w'", "does not list it"),
        headers("malformed-safetensors/st-index-duplicate-key.safetensors.index.json", "the key \"w\" appears twice"),
        headers("malformed-safetensors/st-index-escapes-directory.safetensors.index.json", "'../valid.safetensors'"),
        headers("malformed-safetensors/st-index-no-weight-map.safetensors.index.json", "no 'weight_map'"),
    ]

    static let cases: [MalformedCase] = (torch + safetensors).flatMap { $0 }

    @Test("A malformed file is refused with one clear error and leaves no output", arguments: cases)
    func refusesMalformedFile(_ malformed: MalformedCase) async throws {
        try await malformed.check()
    }

    @Test("Every fixture is in the table, and the control files read cleanly")
    func fixturesAreComplete() async throws {
        for folder in ["malformed-torch", "malformed-safetensors"] {
            let present = try MalformedCase.fixtures(in: folder) { !$0.hasSuffix(".py") && !$0.hasPrefix("valid.") }
            let used = Set(Self.cases.map(\.fixture)).filter { $0.hasPrefix(folder + "/") && !$0.hasPrefix(folder + "/valid.") }
            #expect(used.subtracting(present).sorted() == [], "run \(folder)/make_*.py")
            #expect(present.subtracting(used).sorted() == [], "fixtures no test uses")
        }
        for control in ["malformed-torch/valid.pth", "malformed-safetensors/valid.safetensors"] {
            let result = try await TestSupport.runTubelet(["inspect", "--stats", TestSupport.fixture(control).path])
            #expect(result.exitStatus == 0, "\(result)")
        }
    }

    @Test("A sharded output is written atomically and --force replaces only a shard directory")
    func shardedOutputIsAtomic() async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try MalformedCase.copyFixture("malformed-torch/valid.pth", into: directory)
            let output = directory.appendingPathComponent("sharded")
            let first = try await TestSupport.runTubelet(["convert", input.path, output.path, "--max-shard-size", "8"])
            #expect(first.exitStatus == 0, "\(first)")
            #expect(try TestSupport.contents(of: output) == ["model.safetensors"])
            let again = try await TestSupport.runTubelet(["convert", input.path, output.path, "--max-shard-size", "8"])
            #expect(again.exitStatus == 1 && again.stderr.contains("already exists"), "\(again)")
            let forced = try await TestSupport.runTubelet(["convert", input.path, output.path, "--max-shard-size", "8", "--force"])
            #expect(forced.exitStatus == 0, "\(forced)")
            try Data("keep me".utf8).write(to: output.appendingPathComponent("notes.txt"))
            let refused = try await TestSupport.runTubelet(["convert", input.path, output.path, "--max-shard-size", "8", "--force"])
            #expect(refused.exitStatus == 1 && refused.stderr.contains("'notes.txt'"), "\(refused)")
            #expect(try TestSupport.contents(of: directory) == ["sharded", "valid.pth"], "a temporary directory was left behind")
            let bad = try await TestSupport.runTubelet(["convert", input.path, directory.appendingPathComponent("x").path, "--max-shard-size", "1XB"])
            #expect(bad.exitStatus == 64, "\(bad)")
        }
    }
}
