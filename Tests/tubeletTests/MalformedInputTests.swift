import Foundation
import Testing
import TubeletTestSupport

@Suite("Malformed inputs and bad invocations fail cleanly")
struct MalformedInputTests {
    // MARK: - The table

    /// `fixture` under `inspect` and under `convert`: both read the headers and must refuse.
    static func headers(_ fixture: String, _ fragments: String..., options: [String] = []) -> [MalformedCase] {
        [.inspect, .convert].map { MalformedCase(fixture: "malformed/" + fixture, command: $0, fragments: fragments, options: options) }
    }

    /// `fixture` whose headers are fine but whose tensor data is not: only reading the data
    /// (`inspect --stats`, `convert`) can find that.
    static func data(_ fixture: String, _ fragments: String...) -> [MalformedCase] {
        [.inspectStats, .convert].map { MalformedCase(fixture: "malformed/" + fixture, command: $0, fragments: fragments) }
    }

    static let cases: [MalformedCase] = groups.flatMap { $0 }

    private static let groups: [[MalformedCase]] = [
        // .npy: preamble
        headers("npy-empty.npy", "the file is empty"),
        headers("npy-bad-magic.npy", "unrecognised checkpoint format"),
        headers("npy-truncated-preamble.npy", "'npy-truncated-preamble'", "truncated .npy header"),
        headers("npy-version-1.1.npy", "'npy-version-1.1'", "unsupported .npy format version 1.1"),
        headers("npy-version-4.0.npy", "'npy-version-4.0'", "unsupported .npy format version 4.0"),
        headers("npy-header-length-past-eof.npy", "'npy-header-length-past-eof'", "the .npy header declares 5000 bytes"),
        headers("npy-header-over-cap.npy", "'npy-header-over-cap'", "over the limit of 10000", "--max-npy-header-bytes"),
        headers("npy-header-over-cap.npy", "over the limit of 10100", options: ["--max-npy-header-bytes", "10100"]),
        headers("npy-header-one-past-cap.npy", "'npy-header-one-past-cap'", "the .npy header is 10001 bytes, over the limit of 10000"),
        headers("npy-header-at-cap.npy", "10000 bytes, over the limit of 9999", options: ["--max-npy-header-bytes", "9999"]),
        headers("npy-truncated-length-field.npy", "'npy-truncated-length-field'", "truncated .npy header: 9 bytes"),
        headers("npy-v2-truncated-length-field.npy", "'npy-v2-truncated-length-field'", "truncated .npy header: 10 bytes"),
        headers("npy-truncated-header-text.npy", "'npy-truncated-header-text'", "the .npy header declares 118 bytes but the data ends after 30"),
        // .npy: the header literal
        headers("npy-header-call-expression.npy", "'npy-header-call-expression'", "malformed .npy header", "'__import__' is not a literal"),
        headers("npy-header-not-dict.npy", "'npy-header-not-dict'", "not a dict"),
        headers("npy-header-unterminated.npy", "'npy-header-unterminated'", "malformed .npy header", "unexpected end of header"),
        headers("npy-header-duplicate-key.npy", "'npy-header-duplicate-key'", "key 'shape' appears twice"),
        headers("npy-header-deep-nesting.npy", "'npy-header-deep-nesting'", "nesting deeper than"),
        headers("npy-header-v3-invalid-utf8.npy", "'npy-header-v3-invalid-utf8'", "not valid UTF-8"),
        headers("npy-missing-key.npy", "'npy-missing-key'", "keys [descr, shape]", "expected exactly descr, fortran_order, shape"),
        headers("npy-extra-key.npy", "'npy-extra-key'", "keys [descr, fortran_order, order, shape]", "expected exactly"),
        // .npy: shape, fortran_order, descr
        headers("npy-negative-dimension.npy", "'npy-negative-dimension'", "negative dimension -1"),
        headers("npy-bool-in-shape.npy", "'npy-bool-in-shape'", "the shape contains True, not an integer"),
        headers("npy-shape-list.npy", "'npy-shape-list'", "shape is a list, not a tuple"),
        headers("npy-shape-integer-too-large.npy", "'npy-shape-integer-too-large'", "integer too large"),
        headers("npy-rank-over-limit.npy", "'npy-rank-over-limit'", "65 dimensions", "limit of 64", "--max-rank"),
        headers("valid-single.npy", "'valid-single'", "2 dimensions, over the limit of 1", options: ["--max-rank", "1"]),
        headers("npy-fortran-order-int.npy", "'npy-fortran-order-int'", "fortran_order is the integer 0"),
        headers("npy-descr-not-string.npy", "'npy-descr-not-string'", "descr is the integer 4"),
        headers("npy-object-pickle.npy", "'npy-object-pickle'", "'|O'", "pickled"),
        headers("npy-structured-dtype.npy", "'npy-structured-dtype'", "structured (record) dtype"),
        headers("npy-complex64.npy", "'npy-complex64'", "complex dtype '<c8'"),
        headers("npy-float8-f1.npy", "'npy-float8-f1'", "'<f1'", "Supported dtypes"),
        headers("npy-unicode.npy", "'npy-unicode'", "'<U2'"),
        headers("npy-v2-bfloat16.npy", "'npy-v2-bfloat16'", "'<V2'", "--npy-v2-as-bfloat16"),
        // .npy: data against shape
        headers("npy-truncated-data.npy", "'npy-truncated-data'", "needs 24 bytes of data but the file has 16"),
        headers("npy-trailing-bytes.npy", "'npy-trailing-bytes'", "8 unexpected bytes follow the array data"),
        headers("npy-shape-overflow.npy", "'npy-shape-overflow'", "overflows 64-bit sizes"),
        headers("npy-shape-terabytes.npy", "'npy-shape-terabytes'", "needs 4000000000000 bytes of data but the file has 16"),

        // .npz: the archive
        headers("npz-truncated-middle.npz", "not a zip archive, or truncated"),
        headers("npz-no-central-directory.npz", "not a zip archive, or truncated"),
        headers("npz-not-a-zip.npz", "unrecognised checkpoint format"),
        headers("npz-zip-signature-garbage.npz", "not a zip archive, or truncated"),
        headers("npz-entry-count-inconsistent.npz", "inconsistent"),
        headers("npz-member-offset-past-eof.npz", "'weights'", "cannot open the member"),
        headers("npz-truncated-local-header.npz", "not a zip archive, or truncated"),
        headers("npz-truncated-central-directory.npz", "not a zip archive, or truncated"),
        headers("npz-truncated-end-record.npz", "not a zip archive, or truncated"),
        headers("npz-zip64-offset-out-of-range.npz", "'weights'", "cannot open the member"),
        headers("npz-zip64-count-huge.npz", "inconsistent"),
        headers("valid-multi.npz", "the archive lists 2 members, over the limit of 1", "--max-tensors", options: ["--max-tensors", "1"]),
        // .npz: member headers against member sizes
        headers("npz-shape-size-mismatch.npz", "'weights'", "shape [10]", "holds 16 bytes of data"),
        headers("npz-member-header-past-end.npz", "'weights'", "declares 4000 bytes but the member holds 144"),
        headers("npz-stored-size-mismatch.npz", "'weights'", "stored uncompressed but declares 224 bytes"),
        headers("npz-zip-bomb-claim.npz", "'weights'", "claims 4000000064 bytes from", "possible zip bomb"),
        // A real bomb in miniature (4 MiB of zeros in 4 kB): read by default, refused by a
        // lower limit on the absolute size or on the ratio.
        headers("npz-bomb-4mib-zeros.npz", "'weights'", "decompresses to 4194432 bytes, over the limit of 1000000",
                "possible zip bomb", "--max-decompressed-bytes", options: ["--max-decompressed-bytes", "1000000"]),
        headers("npz-bomb-4mib-zeros.npz", "'weights'", "over the expansion limit of 100 : 1", "--max-expansion-ratio",
                options: ["--max-expansion-ratio", "100"]),
        // .npz: members Tubelet does not read
        headers("npz-bzip2-member.npz", "'weights'", "compression method 12"),
        headers("npz-encrypted-member.npz", "'weights'", "encrypted"),
        headers("npz-duplicate-member.npz", "'weights'", "two members with this name"),
        headers("npz-member-bad-header.npz", "'weights'", "malformed .npy header", "'__import__' is not a literal"),
        headers("npz-member-not-npy.npz", "'weights'", "not an .npy array"),
        headers("npz-member-empty.npz", "'weights'", "not an .npy array"),
        headers("npz-member-v2-bfloat16.npz", "'weights'", "'<V2'", "--npy-v2-as-bfloat16"),
        // Found by the zip-directory fuzzer (a trap on a negative read before the fix).
        headers("npz-member-header-inside-preamble.npz", "'weights'", "malformed .npy header", "unexpected end of header"),
        // .npz: member data against member headers
        data("npz-crc-mismatch.npz", "'weights'", "CRC error"),
        data("npz-size-understated.npz", "'weights'", "beyond its declared size of 144 bytes"),
        data("npz-size-overstated.npz", "'weights'", "ends after 144 bytes but declares 160"),
        // .npz: sizes claimed far beyond the archive are refused from the central directory,
        // before anything is allocated, as a .npy with the same lie is (npy-shape-terabytes).
        headers("npz-stored-size-past-eof.npz", "'weights'", "whole archive is 264 bytes"),
        data("npz-stored-size-past-eof.npz", "'weights'", "whole archive is 264 bytes"),
        headers("npz-zip64-stored-size-past-eof.npz", "'weights'", "whole archive is"),
        data("npz-zip64-stored-size-past-eof.npz", "'weights'", "whole archive is"),
        headers("npz-zip64-deflate-size-past-eof.npz", "'weights'", "whole archive is"),
        data("npz-zip64-deflate-size-past-eof.npz", "'weights'", "whole archive is"),
    ]

    // MARK: - The checks

    static func expectRefusal(
        _ result: TestSupport.RunResult, naming file: String, containing fragments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        MalformedCase.expectRefusal(result, naming: file, containing: fragments, sourceLocation: sourceLocation)
    }

    static func expectContents(_ directory: URL, _ names: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        try MalformedCase.expectContents(directory, names, sourceLocation: sourceLocation)
    }

    /// Copies fixture `name` of Tests/Fixtures/malformed into `directory`.
    static func copyFixture(_ name: String, into directory: URL) throws -> URL {
        try MalformedCase.copyFixture("malformed/" + name, into: directory)
    }

    // MARK: - Tests

    @Test("A malformed file is refused with one clear error and leaves no output", arguments: cases)
    func refusesMalformedInput(_ malformed: MalformedCase) async throws {
        try await malformed.check()
    }

    @Test("The fixtures the table names all exist, and every fixture is in the table or used below")
    func fixturesAreComplete() throws {
        let present = try MalformedCase.fixtures(in: "malformed") { $0.hasSuffix(".npy") || $0.hasSuffix(".npz") }
        let used = Set(Self.cases.map(\.fixture)).union(["malformed/valid-single.npy", "malformed/valid-multi.npz"])
        #expect(used.subtracting(present).sorted() == [], "run Tests/Fixtures/malformed/make_malformed.py")
        #expect(present.subtracting(used).sorted() == [], "fixtures no test uses")
        #expect(Self.cases.count >= 25)
    }

    // MARK: - Options that make a refused file readable

    @Test("A header over numpy's 10000-byte cap is read when --max-npy-header-bytes allows it")
    func largeHeaderAcceptedWithRaisedLimit() async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture("npy-header-over-cap.npy", into: directory)
            let inspected = try await TestSupport.runTubelet(["inspect", "--max-npy-header-bytes", "20000", input.path])
            #expect(inspected.exitStatus == 0, "\(inspected)")
            #expect(inspected.stdout.contains("npy-header-over-cap"), "\(inspected)")

            let output = directory.appendingPathComponent("out.npy")
            let converted = try await TestSupport.runTubelet(
                ["convert", "--max-npy-header-bytes", "20000", input.path, output.path])
            #expect(converted.exitStatus == 0, "\(converted)")
            try Self.expectContents(directory, ["npy-header-over-cap.npy", "out.npy"])
        }
    }

    @Test("What the limits refuse by default is read when a flag raises them, and files at a limit are read",
          arguments: [
              ["malformed/npy-rank-over-limit.npy", "--max-rank", "65"],
              ["malformed/npy-header-at-cap.npy"],
              ["malformed/npz-bomb-4mib-zeros.npz"],
              ["malformed-torch/torch-rank-over-limit.pth", "--max-rank", "65"],
              ["malformed-msgpack/mp-rank-over-limit.msgpack", "--max-rank", "65"],
              ["malformed-safetensors/st-header-too-large.safetensors", "--max-header-bytes", "300000000"],
          ])
    func limitsRaisedByFlags(_ arguments: [String]) async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try MalformedCase.copyFixture(arguments[0], into: directory)
            let flags = Array(arguments.dropFirst())
            let result = try await TestSupport.runTubelet(["inspect", "--stats"] + flags + [input.path])
            if arguments[0].hasSuffix("st-header-too-large.safetensors") {
                // Raised past the declared 200 MB, the header is then found to run past the file.
                Self.expectRefusal(result, naming: input.path, containing: ["declares 200000000 bytes but only"])
            } else {
                #expect(result.exitStatus == 0, "\(result)")
            }
        }
    }

    @Test("A '<V2' array is read as bfloat16 with --npy-v2-as-bfloat16")
    func opaqueTwoByteAcceptedWithFlag() async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            for fixture in ["npy-v2-bfloat16.npy", "npz-member-v2-bfloat16.npz"] {
                let input = try Self.copyFixture(fixture, into: directory)
                let result = try await TestSupport.runTubelet(["inspect", "--stats", "--npy-v2-as-bfloat16", input.path])
                #expect(result.exitStatus == 0, "\(result)")
                #expect(result.stdout.contains("bfloat16"), "\(result)")
            }
        }
    }

    // MARK: - Bad invocations

    @Test("A missing input is refused", arguments: ["inspect", "convert"])
    func missingInput(_ command: String) async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = directory.appendingPathComponent("absent.npz").path
            let arguments = command == "inspect" ? ["inspect", input] : ["convert", input, directory.appendingPathComponent("out.npz").path]
            let result = try await TestSupport.runTubelet(arguments)
            Self.expectRefusal(result, naming: input, containing: ["cannot open"])
            try Self.expectContents(directory, [])
        }
    }

    @Test("A directory as input is refused", arguments: ["inspect", "convert"])
    func directoryInput(_ command: String) async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = directory.appendingPathComponent("weights.npz", isDirectory: true)
            try FileManager.default.createDirectory(at: input, withIntermediateDirectories: false)
            let arguments = command == "inspect" ? ["inspect", input.path] : ["convert", input.path, directory.appendingPathComponent("out.npz").path]
            let result = try await TestSupport.runTubelet(arguments)
            Self.expectRefusal(result, naming: input.path, containing: ["directory"])
            try Self.expectContents(directory, ["weights.npz"])
        }
    }

    @Test("An existing output is not replaced without --force")
    func existingOutputNeedsForce() async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture("valid-single.npy", into: directory)
            let output = directory.appendingPathComponent("existing.npy")
            let previous = Data("previous contents".utf8)
            try previous.write(to: output)
            let result = try await TestSupport.runTubelet(["convert", input.path, output.path])
            Self.expectRefusal(result, naming: output.path, containing: ["already exists", "--force"])
            #expect(try Data(contentsOf: output) == previous, "the existing output was modified")
            try Self.expectContents(directory, ["existing.npy", "valid-single.npy"])
        }
    }

    @Test("The input is never overwritten, even with --force",
          arguments: [[], ["--force"], ["--force", "--format", "npy"]])
    func outputIsInput(_ options: [String]) async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture("valid-single.npy", into: directory)
            let original = try Data(contentsOf: input)
            // The same file under two spellings: the check must compare files, not strings.
            for output in [input.path, directory.path + "/./valid-single.npy"] {
                let result = try await TestSupport.runTubelet(["convert"] + options + [input.path, output])
                Self.expectRefusal(result, naming: output, containing: ["the output is the input file"])
                #expect(try Data(contentsOf: input) == original, "the input was modified")
                try Self.expectContents(directory, ["valid-single.npy"])
            }
        }
    }

    @Test("An output whose format cannot be told from its name is a usage error, before anything is written",
          arguments: ["out.weights", "out"])
    func unknownOutputFormat(_ name: String) async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture("valid-single.npy", into: directory)
            let output = directory.appendingPathComponent(name).path
            let result = try await TestSupport.runTubelet(["convert", input.path, output])
            #expect(result.exitStatus == 64)
            #expect(result.stderr.contains("Error: cannot tell the output format from '\(output)'; pass --format (hdf5, npz"))
            try Self.expectContents(directory, ["valid-single.npy"])
        }
    }

    @Test("A multi-tensor archive is not written as one .npy")
    func multiTensorToNPY() async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture("valid-multi.npz", into: directory)
            let outputs = directory.appendingPathComponent("output", isDirectory: true)
            try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: false)
            for arguments in [["out.npy"], ["out.bin", "--format", "npy"]] {
                let output = outputs.appendingPathComponent(arguments[0]).path
                let result = try await TestSupport.runTubelet(["convert", input.path, output] + arguments.dropFirst())
                // The message names the output the user asked for, not the temporary file.
                Self.expectRefusal(result, naming: output, containing: ["exactly one array", "2 tensors"])
                try Self.expectContents(outputs, [])
            }
        }
    }

    @Test("An existing directory as output is refused")
    func directoryOutput() async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture("valid-single.npy", into: directory)
            let output = directory.appendingPathComponent("out.npy", isDirectory: true)
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: false)
            for options in [[], ["--force"]] {
                let result = try await TestSupport.runTubelet(["convert"] + options + [input.path, output.path])
                Self.expectRefusal(result, naming: output.path, containing: ["directory"])
                try Self.expectContents(directory, ["out.npy", "valid-single.npy"])
                try Self.expectContents(output, [])
            }
        }
    }

    @Test("An output in a directory that does not exist is refused, naming the directory")
    func missingOutputDirectory() async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture("valid-single.npy", into: directory)
            let output = directory.appendingPathComponent("absent/out.npy").path
            let result = try await TestSupport.runTubelet(["convert", input.path, output])
            Self.expectRefusal(result, naming: directory.appendingPathComponent("absent").path,
                               containing: ["directory does not exist", output, "mkdir -p"])
            try Self.expectContents(directory, ["valid-single.npy"])
        }
    }

    @Test("A valid conversion leaves exactly the target (the harness's control case)")
    func validConversionLeavesOnlyTarget() async throws {
        try await TestSupport.withTemporaryDirectory { directory in
            let input = try Self.copyFixture("valid-multi.npz", into: directory)
            let output = directory.appendingPathComponent("out.npz")
            let result = try await TestSupport.runTubelet(["convert", input.path, output.path])
            #expect(result.exitStatus == 0, "\(result)")
            try Self.expectContents(directory, ["out.npz", "valid-multi.npz"])
        }
    }

    static let usageCases: [[String]] = [
        ["--help"],
        ["inspect", "--help"],
        ["convert", "--help"],
        ["inspect", "--no-such-option", "x.npy"],
        ["no-such-command"],
        ["convert", "only-one-argument.npy"],
        ["inspect", "--max-npy-header-bytes", "0", "x.npy"],
        ["inspect", "--max-npy-header-bytes", "many", "x.npy"],
        ["convert", "--compress", "zstd", "a.npy", "b.npz"],
        ["convert", "--dtype", "int8", "a.npy", "b.npz"],
    ]

    @Test("--help exits 0; usage errors exit 64", arguments: usageCases)
    func usage(_ arguments: [String]) async throws {
        let result = try await TestSupport.runTubelet(arguments)
        if arguments.contains("--help") {
            #expect(result.exitStatus == 0, "\(result)")
            #expect(result.stdout.contains("USAGE:"), "\(result)")
        } else {
            #expect(result.exitStatus == 64, "\(result)")
            #expect(result.stderr.hasPrefix("Error: "), "\(result)")
        }
    }
}
