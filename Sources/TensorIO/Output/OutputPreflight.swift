import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Every check that an output path must pass, in one place: made by the command line before
/// any work (so a run that cannot write its output, or its report, says so at once instead of
/// after minutes of reading, and a dry run fails exactly where the run would), and made
/// again by ``AtomicOutput`` and ``AtomicDirectoryOutput`` just before they write, since the
/// file system may have changed in between.
///
/// In order:
/// - what the path names (``OutputTarget``): links followed; `-`, a FIFO, socket, device or
///   a process's open file refused;
/// - the directory that will hold it: missing, not a directory, or not writable, each named
///   as the directory's problem rather than blamed on the file;
/// - what is there already: an input (never replaced, whatever `overwrite` says), the wrong
///   kind (a directory where a file goes, or the reverse), a directory holding files that are
///   not a previous output of the same kind, or anything at all without `overwrite`.
///
/// The messages are the ones these checks had in the writers; the option that replaces an
/// output is named as ``Setting/overwrite``.
public enum OutputPreflight {
    /// What the output is.
    public enum Kind: Sendable {
        /// One file: a checkpoint or a report.
        case file
        /// A directory: a sharded safetensors checkpoint or a Hugging Face model directory.
        case directory
    }

    /// Checks `path` and returns the path to write: the target of its symbolic links, or
    /// `path` itself (without trailing slashes for a directory). Errors name `path` as given,
    /// or the directory at fault.
    @discardableResult
    public static func check(_ path: String, kind: Kind, overwrite: Bool, inputs: [String]) throws(CheckpointError) -> String {
        var requested = path
        if kind == .directory {
            while requested.count > 1, requested.hasSuffix("/") { requested.removeLast() }
        }
        let target = try OutputTarget.resolve(requested)
        try checkDirectory(holding: target, output: path)
        var status = stat()
        guard lstat(target, &status) == 0 else { return target }
        switch kind {
        case .file:
            try refuseReplacingFile(target, status: status, overwrite: overwrite, inputs: inputs, reportedAs: path)
        case .directory:
            try refuseReplacingDirectory(target, status: status, overwrite: overwrite, inputs: inputs, reportedAs: path)
        }
        return target
    }

    /// The directory that will hold `target` must exist, be a directory, and let this process
    /// create and rename files in it.
    static func checkDirectory(holding target: String, output: String) throws(CheckpointError) {
        var directory = OutputTarget.directoryPart(of: target)
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        let shown = directory.isEmpty ? "." : directory
        var status = stat()
        guard stat(shown, &status) == 0 else {
            let code = errno
            if code == ENOENT {
                throw CheckpointError(.outputRefused, file: shown, "the directory does not exist, so \(output) cannot be written there",
                    fix: "Create it (mkdir -p \(shown)) or choose another path")
            }
            if code == ENOTDIR {
                throw CheckpointError(.outputRefused, file: shown, "a part of this path is not a directory, so \(output) cannot be written there",
                    fix: "Choose another path")
            }
            throw CheckpointError(.outputRefused, file: shown, "cannot look at the directory that would hold \(output): \(String(cString: strerror(code)))")
        }
        guard (status.st_mode & S_IFMT) == S_IFDIR else {
            throw CheckpointError(.outputRefused, file: shown, "is not a directory, so \(output) cannot be written in it",
                fix: "Choose another path")
        }
        // With the effective user and groups, as creating the temporary file will be judged.
        guard faccessat(AT_FDCWD, shown, W_OK | X_OK, AT_EACCESS) == 0 else {
            let code = errno
            let reason = code == EROFS
                ? "the directory is on a read-only file system"
                : "this user cannot create files in the directory (\(String(cString: strerror(code))))"
            throw CheckpointError(.outputRefused, file: shown, "\(reason), so \(output) cannot be written there",
                fix: code == EROFS ? "Choose a directory on a writable file system" : "Choose a directory you can write to, or change its permissions")
        }
    }

    private static func refuseReplacingFile(
        _ target: String, status: stat, overwrite: Bool, inputs: [String], reportedAs path: String
    ) throws(CheckpointError) {
        for input in inputs {
            var source = stat()
            if stat(input, &source) == 0, source.st_dev == status.st_dev, source.st_ino == status.st_ino {
                throw CheckpointError(.outputRefused, file: path, "the output is the input file",
                    fix: "Write to another path; Tubelet never overwrites its input")
            }
        }
        let resolvedTarget = resolved(target)
        for input in inputs where ModelDirectory.isDirectory(input) {
            if resolvedTarget.hasPrefix(resolved(input) + "/") {
                throw CheckpointError(.outputRefused, file: path, "the output is a file of the input model directory",
                    fix: "Write to another path; Tubelet never overwrites its input")
            }
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            throw CheckpointError(.outputRefused, file: path, "the output is an existing directory",
                fix: "Name a file to write")
        }
        guard overwrite else {
            throw CheckpointError(.outputRefused, file: path, "the output already exists",
                fix: "Pass \(setting: .overwrite) to replace it, or choose another path")
        }
    }

    /// `overwrite` replaces a directory only when it holds nothing but a previous output of the
    /// same kind (shards, their index, `config.json`), so it can never delete unrelated files.
    private static func refuseReplacingDirectory(
        _ target: String, status: stat, overwrite: Bool, inputs: [String], reportedAs path: String
    ) throws(CheckpointError) {
        let resolvedTarget = resolved(target)
        for input in inputs {
            let resolvedInput = resolved(input)
            if resolvedInput == resolvedTarget || resolvedInput.hasPrefix(resolvedTarget + "/") {
                throw CheckpointError(.outputRefused, file: path, "the output directory is or holds the input",
                    fix: "Write to another path; Tubelet never overwrites its input")
            }
        }
        guard (status.st_mode & S_IFMT) == S_IFDIR else {
            throw CheckpointError(.outputRefused, file: path, "the output exists and is not a directory, but this output is one",
                fix: "Choose another path")
        }
        guard overwrite else {
            throw CheckpointError(.outputRefused, file: path, "the output already exists",
                fix: "Pass \(setting: .overwrite) to replace it, or choose another path")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
        if let foreign = names.sorted().first(where: { !AtomicDirectoryOutput.isShardOutputName($0) }) {
            throw CheckpointError(.outputRefused, file: path,
                "the output directory holds '\(foreign)', which is not part of a sharded safetensors checkpoint",
                fix: "\(setting: .overwrite) replaces only a directory of model*.safetensors shards and their index; choose another path")
        }
    }

    /// Whether two paths that ``check(_:kind:overwrite:inputs:)`` returned are the same place,
    /// whether or not anything is there yet (`out.npz` and `./out.npz`).
    public static func sameFile(_ first: String, _ second: String) -> Bool {
        func place(_ path: String) -> String {
            let directory = OutputTarget.directoryPart(of: path)
            let name = path.dropFirst(directory.count)
            return resolved(directory.isEmpty ? "." : directory) + "/" + name
        }
        return place(first) == place(second)
    }

    /// `path` with symbolic links and `.`/`..` resolved, or as given when it does not exist.
    static func resolved(_ path: String) -> String {
        guard let pointer = realpath(path, nil) else { return path }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
