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
            (numpy's allclose; NaN matches NaN). A ViT against a ViViT, or two different ViViT \
            models, are not compared tensor by tensor: diff says what each is. Exit status 0 \
            when the files match, 2 when they differ, 1 when one cannot be read.
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
        let a = try Checkpoint.open(first, options: reading.readOptions)
        let b = try Checkpoint.open(second, options: reading.readOptions)
        let comparison = try layouts.pipeline(reading).compare(a, b, firstPath: first, secondPath: second, atol: atol, rtol: rtol)
        let report = comparison.tensors
        if let kind = comparison.kindDifference {
            // Different kinds of model: say so instead of listing every tensor.
            if json {
                print(try report.jsonText(first: first, second: second, basis: comparison.basis, kindDifference: kind))
            } else {
                print("\(first) and \(second) differ in kind: \(kind)")
            }
            throw ExitCode(2)
        }
        if json {
            print(try report.jsonText(first: first, second: second, basis: comparison.basis))
        } else {
            print(report.table(first: first, second: second, basis: comparison.basis), terminator: "")
        }
        if !report.isEqual { throw ExitCode(2) }
    }
}
