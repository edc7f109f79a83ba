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

    @OptionGroup var reading: ReadOptionGroup

    @OptionGroup var layouts: LayoutOptionGroup

    @OptionGroup var sandbox: SandboxOptionGroup

    func validate() throws {
        guard atol >= 0, rtol >= 0, atol.isFinite, rtol.isFinite else {
            throw ValidationError("--atol and --rtol must be finite and non-negative")
        }
    }

    /// The head count a layout stores, from its canonical attention kernels.
    static func heads(of match: LayoutMatch, _ source: any TensorSource) -> Int? {
        (try? ViTArchitecture.infer(match.canonicalTensors, file: source.path))?.heads
    }

    func run() throws {
        try sandbox.enter()
        var a = try Checkpoint.open(first, options: reading.readOptions)
        var b = try Checkpoint.open(second, options: reading.readOptions)
        var basis = "the files' own names"
        if var matchA = try? layouts.detector(for: first).detect(a), var matchB = try? layouts.detector(for: second).detect(b),
           matchA.schema.name != matchB.schema.name || matchA.prefix != matchB.prefix {
            // A layout that stores attention as [D, D] does not say how many heads there are
            // (`heads` is then set); the other file's layout may, and it is the same model.
            if layouts.heads == nil {
                if matchA.heads != nil, matchB.heads == nil, let heads = Self.heads(of: matchB, b),
                   let again = try? LayoutDetector(library: layouts.library(), heads: heads).detect(a) {
                    matchA = again
                } else if matchB.heads != nil, matchA.heads == nil, let heads = Self.heads(of: matchA, a),
                          let again = try? LayoutDetector(library: layouts.library(), heads: heads).detect(b) {
                    matchB = again
                }
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
