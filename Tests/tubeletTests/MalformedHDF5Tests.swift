import Foundation
import Testing

/// Malformed and unsupported HDF5 / Keras inputs: `tubelet` must exit 1 with one clear line
/// (no `HDF5-DIAG` dump from libhdf5), leave no output, and never crash.
@Suite("Malformed HDF5 and Keras inputs fail cleanly")
struct MalformedHDF5Tests {
    struct Case: Sendable, CustomTestStringConvertible {
        enum Command: String, Sendable {
            /// `tubelet inspect FILE` (structure only).
            case inspect
            /// `tubelet inspect --stats FILE` (reads every tensor).
            case inspectStats = "inspect --stats"
            /// `tubelet convert FILE OUTDIR/out.h5`.
            case convert
        }

        /// A file in Tests/Fixtures/malformed-hdf5 (see its README.md).
        var fixture: String
        var command: Command
        /// Every one of these must appear in the error line.
        var fragments: [String]

        var testDescription: String { "\(command.rawValue) \(fixture)" }
    }

    /// Refused when the file is opened: by `inspect` and by `convert`.
    static func atOpen(_ fixture: String, _ fragments: String...) -> [Case] {
        [.inspect, .convert].map { Case(fixture: fixture, command: $0, fragments: fragments) }
    }

    /// Refused only when the data is read: by `inspect --stats` and `convert`.
    static func atRead(_ fixture: String, _ fragments: String...) -> [Case] {
        [.inspectStats, .convert].map { Case(fixture: fixture, command: $0, fragments: fragments) }
    }

    static let cases: [Case] = [
        // Not (whole) HDF5.
        atOpen("h5-truncated.h5", "the HDF5 file is truncated", "stored_eof = 3072", "[HDF5 error stack: H5Fopen()", "get it again"),
        atOpen("h5-not-hdf5.h5", "unrecognised checkpoint format"),
        atOpen("h5-bad-superblock.h5", "cannot open the HDF5 file", "bad superblock version number"),
        // Filters this libhdf5 lacks.
        atOpen("h5-blosc-filter.h5", "'weights'", "HDF5 filter 32001 (blosc)", "does not have", "Re-save the file without it"),
        atOpen("h5-lzf-filter.h5", "'weights'", "HDF5 filter 32000 (lzf)", "Re-save the file without it"),
        atOpen("h5-libver-latest-chunked.h5", "'weights'", "storage-layout format newer than this libhdf5",
               "bad version number for layout message", "libver=('earliest', 'v110')"),
        // Datasets that are no tensors.
        atOpen("h5-compound.h5", "'points'", "HDF5 type class is compound"),
        atOpen("h5-vlen-int.h5", "'ragged'", "HDF5 type class is variable-length (vlen)"),
        atOpen("h5-string-dataset.h5", "'labels'", "HDF5 type class is string"),
        atOpen("h5-opaque-2byte.h5", "'weights'", "2-byte opaque data (possibly bfloat16)", "--npy-v2-as-bfloat16"),
        atOpen("h5-enum-not-bool.h5", "'colours'", "enumeration of 3 members"),
        atOpen("h5-float8.h5", "'weights'", "1-byte floats", "not IEEE float16, float32, float64 or bfloat16"),
        atOpen("h5-null-dataspace.h5", "'nothing'", "null dataspace (h5py.Empty)"),
        atOpen("h5-external-storage.h5", "'weights'", "external raw files"),
        // Sizes the file cannot back.
        atOpen("h5-huge-unwritten.h5", "'weights'", "40000000000 bytes but stores only 0 bytes"),
        atOpen("h5-contiguous-offset-past-eof.h5", "'weights'", "at offset 1073741824 run past the end of the file (3072 bytes)"),
        // Keras 2 weight lists that do not match the datasets.
        atOpen("keras2-missing-weight.h5", "'dense/dense/kernel:0'", "layer 'dense' lists weight 'dense/kernel:0' in its weight_names, but the file has no such dataset"),
        atOpen("keras2-missing-layer.h5", "'ln'", "layer 'ln' is listed in the root's layer_names, but the file has no such group"),
        atOpen("keras2-weight-names-int.h5", "'dense'", "weight_names attribute is numeric, not a list of strings"),
        // .keras archives.
        atOpen("keras-member-not-hdf5.keras", "'model.weights.h5'", "cannot open the HDF5 file"),
        atOpen("keras-member-crc-mismatch.keras", "'model.weights.h5'", "CRC error"),
        // Data only reading finds bad.
        atRead("h5-corrupt-gzip-chunk.h5", "'weights'", "cannot read the dataset", "inflate() failed"),
    ].flatMap { $0 }

    static let validFixtures = ["valid-every-kind.h5", "valid-keras3.keras"]

    // MARK: - Checks

    static func copyFixture(_ name: String, into directory: URL) throws -> URL {
        let source = TestSupport.fixture("malformed-hdf5/\(name)")
        try #require(FileManager.default.fileExists(atPath: source.path),
                     "missing fixture \(source.path): run Tests/Fixtures/malformed-hdf5/make_malformed_hdf5.py")
        let copy = directory.appendingPathComponent(name)
        try FileManager.default.copyItem(at: source, to: copy)
        return copy
    }

    /// Exit status 1, nothing on stdout, one line `Error: <file>: …` with every fragment, and
    /// nothing of libhdf5's own diagnostics.
    static func expectRefusal(_ result: TestSupport.RunResult, naming file: String, containing fragments: [String],
                              sourceLocation: SourceLocation = #_sourceLocation) {
        guard !result.timedOut, !result.terminatedBySignal else {
            Issue.record("expected a clean exit with status 1: \(result)", sourceLocation: sourceLocation)
            return
        }
        #expect(result.exitStatus == 1, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stderr.split(separator: "\n").count == 1, "expected one error line: \(result)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("HDF5-DIAG"), "libhdf5 printed its diagnostics: \(result)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("Error: \(file): "), "\(result)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "expected '\(fragment)': \(result)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - Tests

    @Test("A malformed or unsupported HDF5 file is refused with one clear error and leaves no output", arguments: cases)
    func refuses(_ malformed: Case) async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let inputs = directory.appendingPathComponent("input", isDirectory: true)
            let outputs = directory.appendingPathComponent("output", isDirectory: true)
            try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: false)
            try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: false)
            let input = try Self.copyFixture(malformed.fixture, into: inputs)
            let original = try Data(contentsOf: input)
            let arguments: [String] = switch malformed.command {
            case .inspect: ["inspect", input.path]
            case .inspectStats: ["inspect", "--stats", input.path]
            case .convert: ["convert", input.path, outputs.appendingPathComponent("out.h5").path]
            }
            let result = try await TestSupport.runTubelet(arguments)
            Self.expectRefusal(result, naming: input.path, containing: malformed.fragments)
            #expect(try TestSupport.contents(of: outputs) == [], "output left behind")
            #expect(try Data(contentsOf: input) == original, "the input was modified")
            #expect(try TestSupport.contents(of: inputs) == [malformed.fixture])
        }
    }

    @Test("Every fixture is used, and every case's fixture exists")
    func fixturesAreComplete() throws {
        let present = Set(try TestSupport.contents(of: TestSupport.fixture("malformed-hdf5"))
            .filter { $0.hasSuffix(".h5") || $0.hasSuffix(".keras") })
        let used = Set(Self.cases.map(\.fixture)).union(Self.validFixtures)
        #expect(used.subtracting(present).sorted() == [], "run Tests/Fixtures/malformed-hdf5/make_malformed_hdf5.py")
        #expect(present.subtracting(used).sorted() == [], "fixtures no test uses")
    }

    // MARK: - Controls

    @Test("The valid controls inspect, read and convert to HDF5 and npz", arguments: validFixtures)
    func validControls(_ fixture: String) async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture(fixture, into: directory)
            let inspected = try await TestSupport.runTubelet(["inspect", "--stats", input.path])
            #expect(inspected.exitStatus == 0 && inspected.stderr.isEmpty, "\(inspected)")
            for (output, options) in [("out.h5", ["--compress", "gzip"]), ("plain.h5", []), ("out.npz", ["--compress", "deflate:9"])] {
                let converted = try await TestSupport.runTubelet(["convert", input.path, directory.appendingPathComponent(output).path] + options)
                #expect(converted.exitStatus == 0, "\(converted)")
                #expect(!converted.stderr.contains("HDF5-DIAG"), "\(converted)")
            }
            #expect(try TestSupport.contents(of: directory) == [fixture, "out.h5", "out.npz", "plain.h5"].sorted())
        }
    }

    @Test("2-byte opaque data reads as bfloat16 with --npy-v2-as-bfloat16")
    func opaqueAsBFloat16() async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture("h5-opaque-2byte.h5", into: directory)
            let result = try await TestSupport.runTubelet(["inspect", "--stats", "--npy-v2-as-bfloat16", input.path])
            #expect(result.exitStatus == 0, "\(result)")
            #expect(result.stdout.contains("bfloat16"), "\(result)")
        }
    }

    @Test("A .keras output is refused before anything is written: Tubelet reads .keras but does not write it")
    func kerasNotWritable() async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture("valid-keras3.keras", into: directory)
            let output = directory.appendingPathComponent("copy.keras").path
            let result = try await TestSupport.runTubelet(["convert", input.path, output])
            Self.expectRefusal(result, naming: output, containing: ["cannot write keras files"])
            #expect(try TestSupport.contents(of: directory) == ["valid-keras3.keras"])
        }
    }

    @Test("--compress takes gzip and gzip:LEVEL as deflate; bad levels are usage errors",
          arguments: [(["gzip"], 0), (["gzip:1"], 0), (["gzip:9"], 0), (["gzip:0"], 64), (["gzip:10"], 64), (["gzip:"], 64), (["gz"], 64)])
    func compressAliases(_ options: [String], status: Int) async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture("valid-every-kind.h5", into: directory)
            let output = directory.appendingPathComponent("out.h5").path
            let result = try await TestSupport.runTubelet(["convert", "--compress"] + options + [input.path, output])
            #expect(result.exitStatus.map(Int.init) == status, "\(result)")
        }
    }
}
