import ArgumentParser
import Porting
import TensorIO

/// `tubelet convert SRC OUT`: any readable format to any writable one.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a weight file to another format, keeping names, dtypes and metadata.",
        discussion: """
            The output format follows OUT's extension unless --format names it. The output is \
            written to a temporary file and renamed into place when complete; an existing OUT \
            is replaced only with --force. With --max-shard-size, OUT is a directory of \
            safetensors shards and model.safetensors.index.json, as Hugging Face writes them. \
            SRC may be a file, a shard index or a Hugging Face model directory.
            """
    )

    @Argument(help: "The weight file to read.", completion: .file())
    var source: String

    @Argument(help: "The file to write.", completion: .file())
    var output: String

    @Option(help: "Output format (default: from OUT's extension).")
    var format: CheckpointFormat?

    @Option(help: "Cast every floating-point tensor to this dtype (float16, bfloat16, float32, float64).")
    var dtype: DType?

    @Option(help: "Compression: 'none' (the default) or 'deflate[:LEVEL]' (LEVEL 1-9, default 6), also spelled 'gzip[:LEVEL]'. npz: deflated members; HDF5: chunked gzip datasets.")
    var compress = "none"

    @Option(name: .customLong("max-shard-size"),
            help: "Write a Hugging Face sharded safetensors directory OUT with shards of at most this size (5GB, 500MB, 2GiB or bytes).")
    var maxShardSize: String?

    @Flag(help: "Replace OUT if it exists.")
    var force = false

    @Option(help: "Rewrite names and layouts into this layout (see 'tubelet schemas'), e.g. timm or vision_transformer.")
    var to: String?

    @Option(help: "The source's layout, when detection should not choose it.")
    var from: String?

    @OptionGroup var reading: ReadOptionGroup

    @OptionGroup var layouts: LayoutOptionGroup

    func validate() throws {
        if let dtype, !dtype.isFloatingPoint {
            throw ValidationError("--dtype must be a floating-point dtype (float16, bfloat16, float32, float64), not \(dtype.rawValue)")
        }
        _ = try compression()
        _ = try maxShardBytes()
    }

    func maxShardBytes() throws -> Int? {
        guard let maxShardSize else { return nil }
        guard let bytes = ByteSize.parse(maxShardSize), bytes > 0 else {
            throw ValidationError("--max-shard-size must be a positive size such as 5GB, 500MB, 2GiB or a number of bytes, not '\(maxShardSize)'")
        }
        return bytes
    }

    func compression() throws -> WriteOptions.Compression {
        if compress == "none" || compress == "stored" { return .stored }
        // gzip is HDF5's (and h5py's) name for the same DEFLATE compression.
        for method in ["deflate", "gzip"] {
            if compress == method { return .deflate(level: 6) }
            if compress.hasPrefix(method + ":"), let level = Int(compress.dropFirst(method.count + 1)), (1...9).contains(level) {
                return .deflate(level: level)
            }
        }
        throw ValidationError("--compress must be 'none', 'deflate[:LEVEL]' or 'gzip[:LEVEL]' with LEVEL 1-9, not '\(compress)'")
    }

    func run() throws {
        var input = try Checkpoint.open(source, options: reading.readOptions)
        if let to {
            input = try LayoutConversion.convert(input, to: to, from: from, detector: layouts.detector())
        } else if from != nil {
            throw ValidationError("--from only applies with --to")
        }
        if let dtype { input = try CastingSource(input, to: dtype) }
        let options = WriteOptions(compression: try compression(), maxShardBytes: try maxShardBytes())
        try Checkpoint.write(input, to: output, format: format, options: options, overwrite: force)
        let bytes = input.tensors.reduce(0) { $0 + $1.byteCount }
        let written = format ?? CheckpointFormat.forExtension(of: output) ?? (options.maxShardBytes != nil ? .safetensors : nil)
        printError("wrote \(output) (\(written?.rawValue ?? "?")): \(input.tensors.count) \(input.tensors.count == 1 ? "tensor" : "tensors"), \(ByteCountText.format(bytes)) of tensor data")
    }
}
