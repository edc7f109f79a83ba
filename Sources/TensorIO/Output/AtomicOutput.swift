#if canImport(Glibc)
import Glibc
#endif

/// The one path every output file takes: written to a temporary file beside the target,
/// flushed, and renamed into place only when complete.
///
/// A rename within one directory is atomic, so a reader of the target sees either the old
/// file or the whole new one. An existing target is replaced only when the caller allows
/// it, and an input file never.
public enum AtomicOutput {
    /// Writes `bytes` (a report, a config) to `path` the same way as every checkpoint.
    public static func write(_ bytes: [UInt8], to path: String, overwrite: Bool, inputs: [String]) throws(CheckpointError) {
        try write(to: path, overwrite: overwrite, inputs: inputs) { temporary throws(CheckpointError) in
            let descriptor = try SystemCall.run(file: path, "cannot create the output") {
                open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            }
            defer { close(descriptor) }
            var failure: SystemError?
            bytes.withUnsafeBytes { buffer in
                do throws(SystemError) { try SystemCall.writeAll(descriptor, buffer) } catch { failure = error }
            }
            if let failure { throw CheckpointError(.io, file: path, "cannot write the output: \(failure)") }
        }
    }

    static func write(
        to path: String,
        overwrite: Bool,
        inputs: [String],
        body: (String) throws(CheckpointError) -> Void
    ) throws(CheckpointError) {
        // Checked again here, not only by the command line before it began: the file system
        // may have changed since. A symbolic link is followed; the link stays.
        let resolved = try OutputPreflight.check(path, kind: .file, overwrite: overwrite, inputs: inputs)
        let temporary = temporaryPath(beside: resolved)
        try TemporaryOutputs.tracking(temporary) { () throws(CheckpointError) in
            CrashGuard.writing(temporary)
            defer { CrashGuard.writing(nil) }
            do throws(CheckpointError) {
                try body(temporary)
                try flushToDisk(temporary, target: path)
                try SystemCall.run(file: path, "cannot move the finished output into place") { rename(temporary, resolved) }
                flushDirectory(of: resolved)
            } catch {
                unlink(temporary)
                // Writers only know the temporary path; the user knows the target.
                var reported = error
                if reported.file == temporary { reported.file = path }
                throw reported
            }
        }
    }

    /// Temporary files (or directories) of `path` that a tubelet process left when it was
    /// killed: named as ``temporaryPath(beside:)`` names them, by a process that no longer
    /// runs on this machine.
    ///
    /// They are reported, not removed: a process of another PID namespace or machine sharing
    /// the directory could still be writing one, and only the user can know that.
    public static func staleTemporaries(beside path: String) -> [(path: String, process: Int32)] {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let prefix = ".\(name).tubelet-"
        guard let stream = opendir(directory.isEmpty ? "." : directory) else { return [] }
        defer { closedir(stream) }
        var found: [(path: String, process: Int32)] = []
        while let entry = readdir(stream) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard entryName.hasPrefix(prefix),
                  let process = entryName.dropFirst(prefix.count).split(separator: "-").first.flatMap({ Int32($0) }),
                  process > 0, process != getpid(),
                  kill(process, 0) == -1, errno == ESRCH else { continue }
            found.append((directory + entryName, process))
        }
        return found.sorted { $0.path < $1.path }
    }

    /// `dir/.name.tubelet-PID-RANDOM`: hidden, unique, and in the target's directory so the
    /// final rename never crosses file systems.
    static func temporaryPath(beside path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "\(directory).\(name).tubelet-\(getpid())-\(random)"
    }

    /// Flushes the file or directory at `temporary` to disk; errors name `target`.
    static func flushToDisk(_ temporary: String, target: String) throws(CheckpointError) {
        let descriptor = try SystemCall.run(file: target, "the writer produced no output file") { open(temporary, O_RDONLY | O_CLOEXEC) }
        defer { close(descriptor) }
        try SystemCall.run(file: target, "cannot flush the output to disk") { fsync(descriptor) }
    }

    /// Flushes the directory holding `path`, so a rename into it survives a crash.
    static func flushDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "."
        guard let descriptor = try? SystemCall.run({ open(directory, O_RDONLY | O_CLOEXEC) }) else { return }
        _ = try? SystemCall.run { fsync(descriptor) }
        close(descriptor)
    }
}
