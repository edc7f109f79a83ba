import Foundation
import Testing
import TubeletTestSupport

/// Malformed Flax msgpack checkpoints (Tests/Fixtures/malformed-msgpack, made by the
/// generator there): every one gives exit status 1, one `Error: FILE: …` line naming the
/// cause, no crash, and no output file. The reader maps the file and parses the whole tree
/// when it opens it, so every case is refused by `inspect` as well as by `convert`.
@Suite("Malformed Flax msgpack files fail cleanly")
struct MalformedMsgpackTests {
    static func atOpen(_ fixture: String, _ fragments: String..., options: [String] = []) -> [MalformedCase] {
        [.inspect, .convert].map {
            MalformedCase(fixture: "malformed-msgpack/" + fixture, command: $0, fragments: fragments, options: options,
                          output: "out.safetensors")
        }
    }

    static let cases: [MalformedCase] = [
        // Truncations at each structural boundary.
        atOpen("mp-empty.msgpack", "the file is empty"),
        atOpen("mp-truncated-map.msgpack", "not a valid msgpack file at byte 10", "truncated"),
        atOpen("mp-truncated-key.msgpack", "not a valid msgpack file at byte 3", "declares 32 items or bytes, more than the 6 bytes left"),
        atOpen("mp-truncated-ext-header.msgpack", "needs 4 bytes but only 2 remain (truncated)"),
        atOpen("mp-truncated-array-bytes.msgpack", "declares 41 items or bytes, more than the 25 bytes left"),
        atOpen("mp-trailing-bytes.msgpack", "2 unexpected bytes follow the msgpack tree"),
        // Bytes that are no msgpack, and lengths that lie.
        atOpen("mp-bad-tag.msgpack", "byte 0xc1 is not a msgpack type"),
        atOpen("mp-map-count-past-eof.msgpack", "declares 2147483648 items or bytes, more than the 3 bytes left"),
        atOpen("mp-string-length-past-eof.msgpack", "declares 2147483647 items or bytes"),
        atOpen("mp-ext-length-past-eof.msgpack", "declares 4294967280 items or bytes"),
        atOpen("mp-invalid-utf8-key.msgpack", "a string is not valid UTF-8"),
        atOpen("mp-deep-nesting.msgpack", "nesting deeper than 64 levels"),
        // Names that cannot become tensor names.
        atOpen("mp-non-string-key.msgpack", "'params'", "a map key is not a string"),
        atOpen("mp-key-with-slash.msgpack", "'params/dense/kernel'", "contains '/'"),
        atOpen("mp-empty-key.msgpack", "key '' is empty"),
        atOpen("mp-duplicate-key.msgpack", "'params/kernel'", "the key appears twice in one map"),
        atOpen("mp-duplicate-key-metadata.msgpack", "'params/step'", "the key appears twice in one map"),
        // Array records that lie about shapes, sizes or types.
        atOpen("mp-ext-complex.msgpack", "'params/kernel'", "ext type 2 (a complex number)"),
        atOpen("mp-ext-unknown-type.msgpack", "'params/kernel'", "ext type 9 (unknown)"),
        atOpen("mp-record-not-triple.msgpack", "'params/kernel'", "not (shape, dtype, bytes)"),
        atOpen("mp-record-invalid-msgpack.msgpack", "'params/kernel'", "the array record is not valid msgpack"),
        atOpen("mp-unknown-dtype.msgpack", "'params/kernel'", "dtype 'complex64'", "Supported dtypes"),
        atOpen("mp-shape-negative.msgpack", "'params/kernel'", "other than a non-negative integer"),
        atOpen("mp-shape-not-integers.msgpack", "'params/kernel'", "other than a non-negative integer"),
        atOpen("mp-shape-overflow.msgpack", "'params/kernel'", "overflows 64-bit sizes"),
        atOpen("mp-rank-over-limit.msgpack", "'params/kernel'", "65 dimensions, over the limit of 64", "--max-rank"),
        atOpen("mp-size-mismatch.msgpack", "'params/kernel'", "needs 40 bytes but the array holds 16"),
        // Flax's chunked arrays.
        atOpen("mp-chunked-missing-chunks.msgpack", "'params/kernel'", "lacks its shape or chunks"),
        atOpen("mp-chunked-out-of-order.msgpack", "'params/kernel'", "chunk 0 of a chunked array is missing or out of order"),
        atOpen("mp-chunked-mixed-dtypes.msgpack", "'params/kernel'", "different dtypes"),
        atOpen("mp-chunked-size-mismatch.msgpack", "'params/kernel'", "do not add up to shape [4]"),
        atOpen("mp-chunked-rank-over-limit.msgpack", "'params/kernel'", "65 dimensions, over the limit of 64"),
        // The limits, lowered below what the valid control declares.
        atOpen("valid.msgpack", "more than 1 arrays", "--max-tensors", options: ["--max-tensors", "1"]),
        atOpen("valid.msgpack", "'params/kernel'", "2 dimensions, over the limit of 1", options: ["--max-rank", "1"]),
    ].flatMap { $0 }

    @Test("A malformed msgpack file is refused with one clear error and leaves no output", arguments: cases)
    func refuses(_ malformed: MalformedCase) async throws {
        try await malformed.check()
    }

    @Test("Every fixture is in the table, and the control file reads cleanly")
    func fixturesAreComplete() async throws {
        let present = try MalformedCase.fixtures(in: "malformed-msgpack") { $0.hasSuffix(".msgpack") }
        let used = Set(Self.cases.map(\.fixture))
        #expect(used.subtracting(present).sorted() == [], "run Tests/Fixtures/malformed-msgpack/make_malformed_msgpack.py")
        #expect(present.subtracting(used).sorted() == [], "fixtures no test uses")
        let result = try await TestSupport.runTubelet(["inspect", "--stats", TestSupport.fixture("malformed-msgpack/valid.msgpack").path])
        #expect(result.exitStatus == 0, "\(result)")
        #expect(result.stdout.contains("params/kernel") && result.stdout.contains("params/bias"), "\(result)")
    }
}
