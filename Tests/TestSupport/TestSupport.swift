import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What every test target shares: where the repository, its sample checkpoints and fixtures
/// and the built `tubelet` are, running `tubelet` with a timeout, and a fresh temporary
/// directory per test.
public enum TestSupport {
    /// The repository root, found from this file's path
    /// (`<root>/Tests/TestSupport/TestSupport.swift`).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `Checkpoints/`: the sample checkpoints, each written by its own ecosystem's library.
    public static let checkpointsDirectory = repositoryRoot.appendingPathComponent("Checkpoints", isDirectory: true)

    /// A sample checkpoint, e.g. `checkpoint("ViT-tiny_16.npz")`.
    public static func checkpoint(_ name: String) -> URL {
        checkpointsDirectory.appendingPathComponent(name)
    }

    /// `Tests/Fixtures`.
    public static let fixturesDirectory = repositoryRoot.appendingPathComponent("Tests/Fixtures", isDirectory: true)

    /// A fixture file, e.g. `fixture("malformed/npy-empty.npy")`.
    public static func fixture(_ relativePath: String) -> URL {
        fixturesDirectory.appendingPathComponent(relativePath)
    }

    public struct BinaryNotFound: Error, CustomStringConvertible {
        public let searched: [String]
        public var description: String {
            "the built `tubelet` executable was not found; run `swift build` first (or set TUBELET to its path). Looked in:\n"
                + searched.map { "  \($0)" }.joined(separator: "\n")
        }
    }

    /// The built `tubelet` executable: `$TUBELET` if set, else the one beside the test bundle
    /// or runner (SwiftPM puts every product of a build in one directory), else
    /// `<root>/.build/debug/tubelet`.
    public static func tubeletExecutable() throws -> URL {
        let fileManager = FileManager.default
        if let override = ProcessInfo.processInfo.environment["TUBELET"], !override.isEmpty {
            guard fileManager.isExecutableFile(atPath: override) else { throw BinaryNotFound(searched: ["$TUBELET=\(override)"]) }
            return URL(fileURLWithPath: override)
        }
        var directories: [URL] = []
        // macOS: the tests run inside `TubeletPackageTests.xctest`, loaded by Xcode's runner.
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            directories.append(bundle.bundleURL.deletingLastPathComponent())
        }
        // Linux: `TubeletPackageTests.xctest` is itself the executable being run.
        if let executable = Bundle.main.executableURL {
            directories.append(executable.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        if let first = CommandLine.arguments.first, first.contains("/") {
            directories.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        directories.append(repositoryRoot.appendingPathComponent(".build/debug", isDirectory: true))

        var searched: [String] = []
        for directory in directories {
            let candidate = directory.appendingPathComponent("tubelet")
            if searched.contains(candidate.path) { continue }
            searched.append(candidate.path)
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               fileManager.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        throw BinaryNotFound(searched: searched)
    }

    // MARK: - Running tubelet

    /// How a run of `tubelet` ended.
    public struct RunResult: Sendable, CustomStringConvertible {
        public var arguments: [String]
        /// The exit status, or the signal number when ``terminatedBySignal``.
        public var status: Int32
        public var terminatedBySignal: Bool
        /// The process did not finish within the timeout and was killed.
        public var timedOut: Bool
        public var stdout: String
        public var stderr: String
        public var duration: Duration

        /// The exit status, or nil when the process did not exit normally.
        public var exitStatus: Int32? { terminatedBySignal || timedOut ? nil : status }

        public var description: String {
            let ending = timedOut ? "timed out after \(duration)"
                : terminatedBySignal ? "killed by signal \(status)" : "exit status \(status)"
            return "tubelet \(arguments.joined(separator: " ")): \(ending)\n--- stdout ---\n\(stdout)--- stderr ---\n\(stderr)"
        }
    }

    /// Runs the built `tubelet` with `arguments`, capturing stdout and stderr, and kills it
    /// if it has not finished within `timeout`.
    public static func runTubelet(_ arguments: [String], timeout: Duration = .seconds(10)) async throws -> RunResult {
        let executable = try tubeletExecutable()
        // Output goes to files rather than pipes, so a chatty process can never block on a
        // full pipe while the test waits for it.
        return try await withTemporaryDirectory { captures in
            let stdoutURL = captures.appendingPathComponent("stdout")
            let stderrURL = captures.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
            let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
            let stderrHandle = try FileHandle(forWritingTo: stderrURL)
            defer {
                try? stdoutHandle.close()
                try? stderrHandle.close()
            }

            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            // A crash should fail the test quickly and say why in one line, not spend time
            // and pages of output on a backtrace.
            var environment = ProcessInfo.processInfo.environment
            environment["SWIFT_BACKTRACE"] = "enable=no"
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = stdoutHandle
            process.standardError = stderrHandle

            let clock = ContinuousClock()
            let start = clock.now
            try process.run()
            var timedOut = false
            while process.isRunning {
                if clock.now - start > timeout {
                    timedOut = true
                    // Foundation starts the child in its own process group: kill the group,
                    // so that nothing it started can keep the test waiting either.
                    let pid = process.processIdentifier
                    kill(getpgid(pid) == pid ? -pid : pid, SIGKILL)
                    break
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            process.waitUntilExit()
            let duration = clock.now - start

            return RunResult(
                arguments: arguments,
                status: process.terminationStatus,
                terminatedBySignal: process.terminationReason == .uncaughtSignal,
                timedOut: timedOut,
                stdout: String(decoding: try Data(contentsOf: stdoutURL), as: UTF8.self),
                stderr: String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self),
                duration: duration)
        }
    }

    // MARK: - Temporary directories

    /// Runs `body` with a new, empty directory that is unique to this call (tests run in
    /// parallel) and removed afterwards.
    public static func withTemporaryDirectory<Result>(
        _ body: (URL) async throws -> Result
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tubelet-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }

    /// The names in `directory`, hidden files included, sorted.
    public static func contents(of directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }
}
