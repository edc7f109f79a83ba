#if canImport(Glibc)
import Glibc
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
    ///
    /// `path` may also be a Hugging Face model directory (holding `model.safetensors`,
    /// `pytorch_model.bin` or their sharded `….index.json`) or a shard index file.
    public static func open(_ path: String, options: ReadOptions = ReadOptions()) throws(CheckpointError) -> any TensorSource {
        let format = try FormatDetector.detect(path, limits: options.limits)
        guard let reader = format.reader else {
            throw CheckpointError(.unsupported, file: path,
                "this is a \(format.rawValue) file, which Tubelet cannot read yet",
                fix: "Readable today: \(CheckpointFormat.readableNames)")
        }
        return try reader.open(path, options: options)
    }

    /// The format ``write(_:to:format:options:overwrite:)`` writes `path` in: `format`, else
    /// the one `path`'s extension names; a sharded output (a directory, whose name has no
    /// extension to go by) is safetensors. Programs call it before any work, to refuse an
    /// output that cannot be written as early as possible.
    public static func outputFormat(of path: String, format: CheckpointFormat?, sharded: Bool) throws(CheckpointError) -> CheckpointFormat {
        guard let format = format ?? CheckpointFormat.forExtension(of: path) ?? (sharded ? .safetensors : nil) else {
            throw CheckpointError(.invalidRequest, file: path, "cannot tell the output format from the file name",
                fix: "Use a known extension or pass \(setting: .outputFormat) (writable: \(CheckpointFormat.writableNames))")
        }
        if sharded, format != .safetensors {
            throw CheckpointError(.invalidRequest, file: path, "only safetensors output can be split into shards, not \(format.rawValue)",
                fix: "Drop \(setting: .maxShardBytes), or write safetensors")
        }
        return format
    }

    /// Writes every tensor of `source` to `path`, atomically.
    ///
    /// With ``WriteOptions/maxShardBytes`` the output is a directory of safetensors shards
    /// (its format defaults to safetensors), written to a temporary directory and renamed
    /// into place the same way.
    ///
    /// The data goes to a temporary file beside `path`, which is flushed to disk and renamed
    /// over `path` only when everything was written: a failure or a crash leaves either no
    /// file or the previous one, never half a file.
    /// - Parameters:
    ///   - format: the output format; by default the one `path`'s extension names.
    ///   - overwrite: replace an existing `path`; an input is never replaced.
    public static func write(
        _ source: any TensorSource,
        to path: String,
        format: CheckpointFormat? = nil,
        options: WriteOptions = WriteOptions(),
        overwrite: Bool = false
    ) throws(CheckpointError) {
        let sharded = options.maxShardBytes != nil
        let format = try outputFormat(of: path, format: format, sharded: sharded)
        guard let writer = format.writer else {
            throw CheckpointError(.unsupported, file: path, "Tubelet cannot write \(format.rawValue) files yet",
                fix: "Writable today: \(CheckpointFormat.writableNames)")
        }
        var options = options
        options.finalPath = path
        var source = source
        var reporter: ProgressReportingSource?
        if let handler = options.progress {
            reporter = ProgressReportingSource(source, handler: handler)
            source = reporter ?? source
            options.progress = nil
        }
        if sharded {
            try AtomicDirectoryOutput.write(to: path, overwrite: overwrite, inputs: [source.path]) { temporaryPath throws(CheckpointError) in
                try writer.write(source, to: temporaryPath, options: options)
            }
            reporter?.finish()
            return
        }
        try AtomicOutput.write(to: path, overwrite: overwrite, inputs: [source.path]) { temporaryPath throws(CheckpointError) in
            try writer.write(source, to: temporaryPath, options: options)
        }
        reporter?.finish()
    }
}
