#if canImport(Glibc)
import Glibc
#endif

/// Where the weights of a Hugging Face model directory are, and what a shard index file is.
///
/// A directory is accepted wherever a checkpoint file is: it stands for the sharded index it
/// holds (`model.safetensors.index.json`, `pytorch_model.bin.index.json`) or else its single
/// weight file (`model.safetensors`, `pytorch_model.bin`), in that order of preference —
/// safetensors first, as `from_pretrained` prefers it.
enum ModelDirectory {
    enum Resolved: Equatable {
        /// A single checkpoint file.
        case file(String)
        /// A shard index (JSON) naming the files that hold each tensor.
        case index(String)
    }

    /// The files a model directory is searched for, with the format each implies.
    static let candidates: [(name: String, format: CheckpointFormat, isIndex: Bool)] = [
        ("model.safetensors.index.json", .safetensors, true),
        ("model.safetensors", .safetensors, false),
        ("pytorch_model.bin.index.json", .pytorch, true),
        ("pytorch_model.bin", .pytorch, false),
    ]

    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }

    /// Whether `path` names a shard index by its name (`….index.json`).
    static func isIndexName(_ path: String) -> Bool {
        path.hasSuffix(".index.json")
    }

    /// The weights file a model directory holds, with its format, or nil when `path` is not
    /// a directory. Throws when it is a directory without any of the ``candidates``.
    static func weightsFile(in path: String) throws(CheckpointError) -> (path: String, format: CheckpointFormat)? {
        guard isDirectory(path) else { return nil }
        let directory = path.hasSuffix("/") ? path : path + "/"
        for candidate in candidates where isRegularFile(directory + candidate.name) {
            return (directory + candidate.name, candidate.format)
        }
        throw CheckpointError(.cannotOpen, file: path,
            "is a directory, and holds none of \(candidates.map(\.name).joined(separator: ", "))",
            fix: "Name a checkpoint file, or a Hugging Face model directory")
    }

    /// What `path` (a file, an index or a model directory) stands for.
    static func resolve(_ path: String) throws(CheckpointError) -> Resolved {
        let file = try weightsFile(in: path)?.path ?? path
        return isIndexName(file) ? .index(file) : .file(file)
    }
}
