import ArgumentParser
import Porting
import TensorIO
import Testing
@testable import tubelet

/// The command line parsed in-process: the spellings each option takes, the mistakes that are
/// usage errors (exit 64) with the message that says what to change, and the suggestions for
/// near misses. Nothing here reads a file: every case is decided by the arguments alone.
@Suite("The command line: spellings, usage errors, suggestions")
struct CommandLineTests {
    static let vit = "Checkpoints/ViT-tiny_16.npz"

    /// Parses `arguments` as the root command does, validation included.
    static func parse(_ arguments: [String]) throws -> any ParsableCommand {
        try Tubelet.parseAsRoot(arguments)
    }

    // MARK: - Spellings

    @Test("--model takes the names, the paper's numbers and scenic's spellings", arguments: [
        ("spacetime", VideoModel.spacetime), ("1", .spacetime), ("2", .factorisedEncoder), ("factorized-encoder", .factorisedEncoder),
        ("factorized_encoder", .factorisedEncoder), ("3", .factorisedSelfAttention),
        ("factorized_self_attention_block", .factorisedSelfAttention), ("4", .factorisedDotProduct),
        ("factorized_dot_product_attention", .factorisedDotProduct), ("Factorised-Dot-Product", .factorisedDotProduct),
        ("timesformer", .timesformer),
    ])
    func modelSpellings(spelling: String, model: VideoModel) throws {
        let output = model == .timesformer ? "out.pth" : "out.npz"  // TimeSformer is PyTorch only
        let command = try #require(try Self.parse(["inflate", Self.vit, "-o", output, "--model", spelling]) as? Inflate)
        #expect(command.model == model)
    }

    @Test("--format takes pth and pytorch in both commands, h5 for hdf5, flax for msgpack", arguments: [
        ("pth", "pth"), ("pytorch", "pth"), ("pt", "pth"), ("h5", "hdf5"), ("hdf5", "hdf5"), ("flax", "msgpack"), ("hf", "hf"),
    ])
    func formatSpellings(spelling: String, format: String) throws {
        let inflate = try #require(try Self.parse(["inflate", Self.vit, "-o", "out", "--model", "1", "--format", spelling]) as? Inflate)
        #expect(inflate.format?.rawValue == format)
        let output = format == "hf" ? "out" : "out.bin"
        let arguments = ["convert", Self.vit, output, "--format", spelling] + (format == "hf" ? ["--to", "hf-vit"] : [])
        let convert = try #require(try Self.parse(arguments) as? Convert)
        switch convert.format {
        case .huggingFace?: #expect(format == "hf")
        case .file(let chosen)?: #expect((chosen == .pytorch ? "pth" : chosen.rawValue) == format)
        case nil: Issue.record("no format parsed")
        }
    }

    @Test("--dtype takes the floating-point dtypes and their short names", arguments: [
        ("bf16", DType.bfloat16), ("bfloat16", .bfloat16), ("fp16", .float16), ("half", .float16), ("float32", .float32), ("f64", .float64),
    ])
    func dtypeSpellings(spelling: String, dtype: DType) throws {
        let inflate = try #require(try Self.parse(["inflate", Self.vit, "-o", "out.npz", "--model", "1", "--dtype", spelling]) as? Inflate)
        #expect(inflate.dtype == dtype)
        let convert = try #require(try Self.parse(["convert", Self.vit, "out.npz", "--dtype", spelling]) as? Convert)
        #expect(convert.dtype == dtype)
    }

    // MARK: - Usage errors

    /// Every mistake the arguments alone show: exit 64, and a message with these words.
    static let usageErrors: [([String], String)] = [
        (["inflate", vit, "-o", "out.npz", "--model", "spacetim"], "'spacetim' is not a video model. Did you mean 'spacetime'?"),
        (["inflate", vit, "-o", "out.npz", "--model", "5"], "Choose one of: spacetime, factorised-encoder"),
        (["inflate", vit, "-o", "out", "--model", "1", "--format", "pthh"], "Did you mean 'pth'?"),
        (["convert", vit, "out", "--format", "safetensor"], "Did you mean 'safetensors'?"),
        (["inflate", vit, "-o", "out.npz", "--model", "1", "--dtype", "int8"], "'int8' is not a floating-point dtype"),
        (["convert", vit, "out.npz", "--dtype", "bfloat"], "Did you mean 'bfloat16'?"),
        (["convert", vit, "out.weights"], "cannot tell the output format from 'out.weights'; pass --format"),
        (["inflate", vit, "-o", "out.weights", "--model", "1"], "cannot tell the output format from 'out.weights'; pass --format"),
        (["inflate", vit, "-o", "out.npz", "--model", "1", "--frames", "7"], "7 frames do not divide into tubelets of 2 frames"),
        (["inflate", vit, "-o", "out.npz", "--model", "1", "--frames", "0"], "--frames must be positive, not 0"),
        (["inflate", vit, "-o", "out.npz", "--model", "1", "--frames", "-4"], "--frames must be positive, not -4"),
        (["inflate", vit, "-o", "out.npz", "--model", "1", "--classes", "0"], "--classes must be positive, not 0"),
        (["convert", vit, "out.safetensors", "--compress", "deflate"], "--compress applies to npz and hdf5 output; safetensors"),
        (["convert", vit, "out.pth", "--compress", "gzip:4"], "--compress applies to npz and hdf5 output; pth"),
        (["inflate", vit, "-o", "out.npz", "--model", "1", "--temporal-layers", "2"], "--temporal-layers sizes Model 2's"),
        (["inflate", vit, "-o", "out.npz", "--model", "3", "--copy-spatial-cls"], "--copy-spatial-cls sets Model 2's"),
        (["inflate", vit, "-o", "out.npz", "--model", "1", "--temporal-attention", "zero"], "--temporal-attention sets Model 3's"),
        (["inflate", vit, "-o", "out.npz", "--model", "1", "--format", "hf"], "--format hf writes a directory, but 'out.npz' has the extension of a npz file"),
        (["convert", vit, "out.npz", "--format", "hf", "--to", "hf-vit"], "--format hf writes a directory, but 'out.npz'"),
        (["convert", vit, "out.npz", "--heads", "4"], "--heads, --activation and --layer-norm-eps only apply with --to"),
        (["convert", vit, "out.npz", "--to", "timmm"], "--to timmm: no layout of this name. Did you mean 'timm'?"),
        (["inflate", vit, "-o", "out.npz", "--model", "1", "--from", "vision-transformer"], "Did you mean 'vision_transformer'?"),
        (["inflate", vit, "-o", "out.npz", "--model", "1", "--quiet", "--verbose"], "--quiet and --verbose contradict each other"),
        (["inflate", vit, "-o", "out", "--model", "timesformer", "--format", "hf", "--image-mean", "0.5,0.5,0.5"],
         "--image-mean and --image-std go together"),
        (["inflate", vit, "-o", "out.npz", "--model", "timesformer"], "TimeSformer is a PyTorch model"),
        (["inflate", vit, "-o", "out.pth", "--model", "timesformer", "--kernel-init", "average"], "--kernel-init"),
        (["schemas", "timmm"], "schemas timmm: no layout of this name. Did you mean 'timm'?"),
        (["schemas", "--heads", "4"], "schemas lists layouts, which store none of them"),
    ]

    @Test("Mistakes in the arguments are usage errors that say what to change", arguments: usageErrors)
    func usageError(arguments: [String], message: String) {
        do {
            _ = try Self.parse(arguments)
            Issue.record("accepted: \(arguments)")
        } catch {
            #expect(Tubelet.exitCode(for: error) == ExitCode(64))
            #expect(Tubelet.message(for: error).contains(message), "\(Tubelet.message(for: error))")
        }
    }

    // MARK: - The command word

    @Test("A mistyped command is named with the nearest one", arguments: [
        (["inpsect", "x"], "unknown command 'inpsect'. Did you mean 'inspect'?"),
        (["help", "inspec"], "unknown command 'inspec'. Did you mean 'inspect'?"),
        (["infalte"], "Did you mean 'inflate'?"),
        (["frobnicate"], "unknown command 'frobnicate'. The commands are inspect, convert, inflate, diff, schemas"),
        ([], "Error: name a command"),
    ])
    func commandSpelling(arguments: [String], message: String) throws {
        let problem = try #require(CommandSpelling.problem(in: arguments))
        #expect(problem.contains(message))
    }

    @Test("Real commands, options and help go on to the parser", arguments: [
        ["inspect", "x"], ["--help"], ["--version"], ["help"], ["help", "inflate"], ["schemas"],
    ])
    func commandsPass(arguments: [String]) {
        #expect(CommandSpelling.problem(in: arguments) == nil)
    }

    @Test("Near names are suggested, far ones never")
    func suggestions() {
        #expect(NameSuggestion.nearest(to: "timmm", among: ["timm", "scenic"]) == "timm")
        #expect(NameSuggestion.nearest(to: "sceinc", among: ["timm", "scenic"]) == "scenic")  // a transposition
        #expect(NameSuggestion.nearest(to: "hf-vi", among: ["hf-vit", "hf-vivit-classifier"]) == "hf-vit")  // a prefix
        #expect(NameSuggestion.nearest(to: "keras", among: ["timm", "scenic"]) == nil)
        #expect(NameSuggestion.nearest(to: "", among: ["timm"]) == nil)
    }
}
