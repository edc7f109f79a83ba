import Foundation
import Testing
import TubeletTestSupport

/// Malformed and unsupported HDF5 / Keras inputs: `tubelet` must exit 1 with one clear line
/// (no `HDF5-DIAG` dump from libhdf5), leave no output, and never crash.
@Suite("Malformed HDF5 and Keras inputs fail cleanly")
struct MalformedHDF5Tests {
    /// Refused when the file is opened: by `inspect` and by `convert`.
    static func atOpen(_ fixture: String, _ fragments: String...) -> [MalformedCase] {
        [.inspect, .convert].map { MalformedCase(fixture: "malformed-hdf5/" + fixture, command: $0, fragments: fragments, output: "out.h5") }
    }

    /// Refused only when the data is read: by `inspect --stats` and `convert`.
    static func atRead(_ fixture: String, _ fragments: String...) -> [MalformedCase] {
        [.inspectStats, .convert].map { MalformedCase(fixture: "malformed-hdf5/" + fixture, command: $0, fragments: fragments, output: "out.h5") }
    }

    static let cases: [MalformedCase] = [
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
        // The limits, lowered below what a valid file declares.
        limited(["--max-tensors", "1"], "'/'", "the group holds more than 1 members", "--max-tensors"),
        limited(["--max-rank", "1"], "'compressed'", "2 dimensions, over the limit of 1", "--max-rank"),
    ].flatMap { $0 }

    /// The valid control file refused because `options` lower a limit below what it declares.
    static func limited(_ options: [String], _ fragments: String...) -> [MalformedCase] {
        [.inspect, .convert].map {
            MalformedCase(fixture: "malformed-hdf5/valid-every-kind.h5", command: $0, fragments: fragments, options: options, output: "out.h5")
        }
    }

    static let validFixtures = ["valid-every-kind.h5", "valid-keras3.keras", "h5-hard-link-cycle.h5", "h5-soft-link-cycle.h5"]

    /// Files found by the hdf5-reader fuzzer on which libhdf5 1.10.8 itself crashes (a
    /// variable-length string attribute read through a corrupt global heap: `H5HG_read` copies
    /// with a length from the file). Swift cannot stop that; CrashGuard turns it into the same
    /// clean refusal as any other bad input.
    static let libhdf5Crashes = ["h5-libhdf5-crash-vlen-heap.h5", "h5-libhdf5-crash-vlen-heap-2.h5"]
    /// A fuzzer-found file on which libhdf5 loops under `H5HG_read`; its refusal after
    /// `TUBELET_LIBHDF5_TIMEOUT` seconds is checked in Tests/Interop/test_libhdf5_guard.py
    /// (the variable is read at start-up, so it is set for that one process).
    static let libhdf5Hangs = ["h5-libhdf5-hang-global-heap.h5"]

    // MARK: - Checks

    /// Copies fixture `name` of Tests/Fixtures/malformed-hdf5 into `directory`.
    static func copyFixture(_ name: String, into directory: URL) throws -> URL {
        try MalformedCase.copyFixture("malformed-hdf5/" + name, into: directory)
    }

    static func expectRefusal(_ result: TestSupport.RunResult, naming file: String, containing fragments: [String],
                              sourceLocation: SourceLocation = #_sourceLocation) {
        MalformedCase.expectRefusal(result, naming: file, containing: fragments, sourceLocation: sourceLocation)
    }

    // MARK: - Tests

    @Test("A malformed or unsupported HDF5 file is refused with one clear error and leaves no output", arguments: cases)
    func refuses(_ malformed: MalformedCase) async throws {
        try await malformed.check()
    }

    @Test("Every fixture is used, and every case's fixture exists")
    func fixturesAreComplete() throws {
        let present = try MalformedCase.fixtures(in: "malformed-hdf5") { $0.hasSuffix(".h5") || $0.hasSuffix(".keras") }
        let used = Set(Self.cases.map(\.fixture)).union((Self.validFixtures + Self.libhdf5Crashes + Self.libhdf5Hangs).map { "malformed-hdf5/" + $0 })
        #expect(used.subtracting(present).sorted() == [], "run Tests/Fixtures/malformed-hdf5/make_malformed_hdf5.py")
        #expect(present.subtracting(used).sorted() == [], "fixtures no test uses")
    }

    // MARK: - Crashes inside libhdf5

    /// Under AddressSanitizer (Scripts/sanitize.sh) the memory error inside libhdf5 is
    /// reported by the sanitizer before it becomes a signal: that is libhdf5's finding, shown
    /// in full, so these cases run only in normal builds.
    @Test("A file that crashes libhdf5 is refused with one clear error, exit 1 and no output",
          .disabled(if: ProcessInfo.processInfo.environment["TUBELET_SANITIZER"] != nil,
                    "the sanitizer reports libhdf5's own memory error instead"),
          arguments: libhdf5Crashes.flatMap { fixture in
              [MalformedCase.Command.inspect, .convert].map {
                  MalformedCase(fixture: "malformed-hdf5/" + fixture, command: $0,
                                fragments: ["the process crashed inside libhdf5", "corrupt in a way libhdf5 does not check"],
                                output: "out.safetensors")
              }
          })
    func libhdf5CrashIsRefused(_ malformed: MalformedCase) async throws {
        try await malformed.check()
    }

    // MARK: - Controls

    /// HDF5 allows links to form cycles (h5py's `visititems` visits each object once too):
    /// such a file is valid, so it is read, not refused, but the walk must end, list each
    /// dataset once, and copy it once.
    @Test("Links that form a cycle are read in seconds, each dataset once",
          arguments: [("h5-hard-link-cycle.h5", "a/w"), ("h5-soft-link-cycle.h5", "w")])
    func cyclesEnd(_ fixture: String, _ dataset: String) async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture(fixture, into: directory)
            let inspected = try await TestSupport.runTubelet(["inspect", "--json", input.path], timeout: .seconds(5))
            #expect(inspected.exitStatus == 0, "\(inspected)")
            #expect(inspected.stdout.contains("\"tensors\" : 1\n"), "\(inspected)")
            #expect(inspected.stdout.contains("\"name\" : \"\(dataset)\""), "\(inspected)")
            let output = directory.appendingPathComponent("out.safetensors")
            let converted = try await TestSupport.runTubelet(["convert", input.path, output.path], timeout: .seconds(5))
            #expect(converted.exitStatus == 0, "\(converted)")
        }
    }

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
