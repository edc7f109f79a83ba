import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Porting
import TensorIO

/// The `tubelet` command: inspect, convert, compare and inflate weight files.
@main
struct Tubelet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tubelet",
        abstract: "Inspect and convert ViT weight files, and inflate them into ViViT checkpoints.",
        discussion: """
            Exit status: 0 on success (for diff: the files are equal), 1 when a file cannot be \
            read or written (the message names the file, the tensor and the cause), 2 when diff \
            finds differences, 64 on a usage error (the message says what to change).
            """,
        version: "0.1.0",
        subcommands: [Inspect.self, Convert.self, Inflate.self, Diff.self, Schemas.self]
    )

    /// A crash inside libhdf5 on a corrupt file, or a libhdf5 call that does not return within
    /// `TUBELET_LIBHDF5_TIMEOUT` seconds (default 60, far more than one dataset of a ViT
    /// takes; 0 for no limit), becomes exit 1 with a message: see CrashGuard. SIGINT, SIGTERM
    /// and SIGHUP remove the run's temporary outputs first: see InterruptCleanup.
    static func main() {
        InterruptCleanup.install()
        let limit = ProcessInfo.processInfo.environment["TUBELET_LIBHDF5_TIMEOUT"].flatMap { UInt32($0) } ?? 60
        CrashGuard.install(libraryTimeLimit: limit)
        if let problem = CommandSpelling.problem(in: Array(CommandLine.arguments.dropFirst())) {
            printError(problem)
            Glibc.exit(64)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch var error as CheckpointError {
            // The libraries cannot name options; the fixes that need one are worded here.
            switch error.fix {
            case LibraryFix.headCount?:
                error.fix = "Pass --heads N, or put the model's config.json (Hugging Face's or timm's) beside the weights"
            case LibraryFix.unplacedTensors?:
                error.fix = "Leave them out with --drop-head (the classifier, and pre_logits where the target has no place for it) or --exclude GLOB, choose a layout that has them, or convert without --to to keep the file's own names"
            default:
                break
            }
            exit(withError: error)
        } catch {
            exit(withError: error)
        }
    }
}

extension DType: ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension CheckpointFormat: ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.filter { $0.writer != nil }.map(\.rawValue) }
}
