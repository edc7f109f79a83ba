#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The entry points for reading and writing checkpoints of any supported format.
///
/// ```swift
/// let source = try Checkpoint.open("ViT-B_16.npz")
/// for info in source.tensors { print(info.name, info.dtype, info.shape) }
/// try Checkpoint.write(source, to: "copy.npz")
/// ```
public enum Checkpoint {
    /// Opens `path` in whatever format its bytes say, reading headers only.
    public static func open(_ path: String, options: ReadOptions = ReadOptions()) throws(CheckpointError) -> any TensorSource {
        let format = try FormatDetector.detect(path)
        guard let reader = format.reader else {
            throw CheckpointError(.unsupported, file: path,
                "this is a \(format.rawValue) file, which Tubelet cannot read yet",
                fix: "Readable today: \(CheckpointFormat.readableNames)")
        }
        return try reader.open(path, options: options)
    }

    /// Writes every tensor of `source` to `path`, atomically.
    ///
    /// The data goes to a temporary file beside `path`, which is flushed to disk and renamed
    /// over `path` only when everything was written: a failure or a crash leaves either no
    /// file or the previous one, never half a file.
    /// - Parameters:
    ///   - format: the output format; by default the one `path`'s extension names.
    ///   - overwrite: replace an existing `path` (`--force`); an input is never replaced.
    public static func write(
        _ source: any TensorSource,
        to path: String,
        format: CheckpointFormat? = nil,
        options: WriteOptions = WriteOptions(),
        overwrite: Bool = false
    ) throws(CheckpointError) {
        guard let format = format ?? CheckpointFormat.forExtension(of: path) else {
            throw CheckpointError(.invalidRequest, file: path, "cannot tell the output format from the file name",
                fix: "Use a known extension or pass --format (writable: \(CheckpointFormat.writableNames))")
        }
        guard let writer = format.writer else {
            throw CheckpointError(.unsupported, file: path, "Tubelet cannot write \(format.rawValue) files yet",
                fix: "Writable today: \(CheckpointFormat.writableNames)")
        }
        try AtomicOutput.write(to: path, overwrite: overwrite, inputs: [source.path]) { temporaryPath throws(CheckpointError) in
            try writer.write(source, to: temporaryPath, options: options)
        }
    }
}
