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
        version: DocumentHeader.tubeletVersion,
        subcommands: [Inspect.self, Convert.self, Inflate.self, Diff.self, Schemas.self]
    )

    /// A crash inside libhdf5 on a corrupt file, or a libhdf5 call that does not return within
    /// `TUBELET_LIBHDF5_TIMEOUT` seconds (default 60, far more than one dataset of a ViT
    /// takes; 0 for no limit), becomes exit 1 with a message: see CrashGuard. SIGINT, SIGTERM
    /// and SIGHUP remove the run's temporary outputs first: see InterruptCleanup.
    static func main() {
        // libzip converts every member's DOS time with mktime(3), and glibc reads
        // /etc/localtime again on each call while TZ is unset: two `stat`s per tensor of an npz
        // or a PyTorch archive. Naming the same zone file keeps local time as it is and lets
        // glibc read it once.
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
        InterruptCleanup.install()
        let limit = getenv("TUBELET_LIBHDF5_TIMEOUT").flatMap { UInt32(String(cString: $0)) } ?? 60
        CrashGuard.install(libraryTimeLimit: limit, messages: CrashGuard.Messages(
            crash: { path, version in
                "Error: \(path): the process crashed inside libhdf5 \(version) while reading the file, which is corrupt in a way libhdf5 does not check. Re-save it with h5py or Keras, or get it again\n"
            },
            hang: { path, version, seconds in
                "Error: \(path): libhdf5 \(version) did not return within \(seconds) s while reading the file, which is corrupt in a way libhdf5 does not check (it loops). Re-save it with h5py or Keras, or get it again; for a huge trusted file on slow storage, set TUBELET_LIBHDF5_TIMEOUT to more seconds (0: no limit)\n"
            }))
        if let problem = CommandSpelling.problem(in: Array(CommandLine.arguments.dropFirst())) {
            printError(problem)
            Glibc.exit(64)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CheckpointError {
            // The libraries name settings as values; the command line names them by its flags.
            exit(withError: CommandLineError(error: error))
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
