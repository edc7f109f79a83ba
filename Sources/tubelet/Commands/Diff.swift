import ArgumentParser
import FoundationEssentials
import Porting
import TensorIO

/// `tubelet diff A B`: two weight files compared tensor by tensor, in any formats and layouts.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two weight files tensor by tensor.",
        discussion: """
            Examples:
              tubelet diff vivit.npz vivit.safetensors
              tubelet diff ViT-B_16.npz vit-hf --atol 1e-6 --json

            When both files have a known layout they are compared under canonical names, so a \
            timm .pth and a vision_transformer .npz of the same weights compare equal; \
            otherwise by the files' own names. Two values match when |a - b| <= atol + rtol * |b| \
            (numpy's allclose; NaN matches NaN). Exit status 0 when the files match, 2 when they \
            differ, 1 when one cannot be read.
            """
    )

    @Argument(help: "The first weight file.", completion: .file())
    var first: String

    @Argument(help: "The second weight file.", completion: .file())
    var second: String

    @Option(help: "Absolute tolerance (default 0: values must be equal).")
    var atol = 0.0

    @Option(help: "Relative tolerance (default 0).")
    var rtol = 0.0

    @Flag(help: "Write one JSON document to stdout instead of a table.")
    var json = false

    @OptionGroup var layouts: LayoutOptionGroup

    @OptionGroup var sandbox: SandboxOptionGroup

    @OptionGroup(title: "Reading untrusted input") var reading: ReadOptionGroup

    func validate() throws {
        guard atol >= 0, rtol >= 0, atol.isFinite, rtol.isFinite else {
            throw ValidationError("--atol and --rtol must be finite and non-negative")
        }
        if layouts.activation != nil || layouts.layerNormEpsilon != nil {
            throw ValidationError("--activation and --layer-norm-eps do not apply to diff, which compares weights")
        }
    }

    func run() throws {
        try sandbox.enter()
        var a = try Checkpoint.open(first, options: reading.readOptions)
        var b = try Checkpoint.open(second, options: reading.readOptions)
        var basis = "the files' own names"
        if var matchA = try? layouts.detector(for: first).detect(a), var matchB = try? layouts.detector(for: second).detect(b),
           matchA.schema.name != matchB.schema.name || matchA.prefix != matchB.prefix {
            _ = try layouts.values(for: matchA, path: first)
            _ = try layouts.values(for: matchB, path: second)
            // Canonical kernels are split by head. When one file's head count is unknown, the
            // other's (stored or given) is the same model's: split both alike, so the values
            // are compared and not the placeholder split. When neither is known both use the
            // same placeholder, and the comparison is exact all the same.
            if matchA.headCount == .unknown, let heads = matchB.heads,
               let again = try? LayoutDetector(library: layouts.library(), heads: Sourced(heads, .given)).detect(a) {
                matchA = again
            } else if matchB.headCount == .unknown, let heads = matchA.heads,
                      let again = try? LayoutDetector(library: layouts.library(), heads: Sourced(heads, .given)).detect(b) {
                matchB = again
            }
            a = CanonicalSource(a, match: matchA)
            b = CanonicalSource(b, match: matchB)
            basis = "canonical names (\(matchA.layoutDescription) vs \(matchB.layoutDescription))"
        }
        let report = try TensorComparison.compare(a, b, atol: atol, rtol: rtol)
        if json {
            print(try report.jsonText(first: first, second: second, basis: basis))
        } else {
            print(report.table(first: first, second: second, basis: basis), terminator: "")
        }
        if !report.isEqual { throw ExitCode(2) }
    }
}
