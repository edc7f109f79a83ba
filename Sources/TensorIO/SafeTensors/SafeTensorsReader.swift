/// Reads safetensors checkpoints: one `.safetensors` file, a sharded checkpoint's
/// `model.safetensors.index.json`, or a Hugging Face model directory holding either.
///
/// A file is memory-mapped and its tensors are handed out as borrowed ranges of the
/// mapping: nothing is copied until a consumer reads the bytes. The header is validated in
/// full when the file is opened (see ``SafeTensorsHeader``), so every later read is in
/// bounds.
public struct SafeTensorsReader: CheckpointReader {
    public var format: CheckpointFormat { .safetensors }

    public init() {}

    public func open(_ path: String, options: ReadOptions) throws(CheckpointError) -> any TensorSource {
        switch try ModelDirectory.resolve(path) {
        case .file(let file):
            return try SafeTensorsFileSource(path: file, limits: options.limits)
        case .index(let index):
            return try ShardedSource(indexPath: index, reportedPath: path, format: .safetensors) { (shard) throws(CheckpointError) in
                try SafeTensorsFileSource(path: shard, limits: options.limits)
            }
        }
    }
}

/// One safetensors file, mapped.
final class SafeTensorsFileSource: TensorSource {
    let path: String
    let tensors: [TensorInfo]
    let metadata: [String: String]
    var format: CheckpointFormat { .safetensors }
    private let file: MappedFile
    private let ranges: [String: Range<Int>]

    init(path: String, limits: Limits = Limits()) throws(CheckpointError) {
        self.path = path
        file = try MappedFile(path: path)
        let header = try SafeTensorsHeader.parse(file.bytes, path: path, limits: limits)
        metadata = header.metadata
        tensors = header.entries.map { TensorInfo(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
        var ranges: [String: Range<Int>] = [:]
        for entry in header.entries {
            ranges[entry.name] = (header.dataOffset + entry.begin)..<(header.dataOffset + entry.end)
        }
        self.ranges = ranges
    }

    func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard let range = ranges[name], let info = info(name) else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such tensor in the file")
        }
        return Tensor(checked: info.dtype, shape: info.shape, bytes: try file.borrow(range))
    }
}
