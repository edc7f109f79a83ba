/// A checkpoint held in memory: tensors added by a program rather than read from a file.
///
/// For building small checkpoints in code (initialisers, tests) and writing them with
/// ``Checkpoint/write(_:to:format:options:overwrite:)``.
public final class InMemorySource: TensorSource {
    public let path: String
    public var format: CheckpointFormat
    public private(set) var tensors: [TensorInfo] = []
    public var metadata: [String: String]
    private var values: [String: Tensor] = [:]

    public init(path: String = "<memory>", format: CheckpointFormat = .npz, metadata: [String: String] = [:]) {
        self.path = path
        self.format = format
        self.metadata = metadata
    }

    /// Adds `tensor` as `name`, after the tensors already added. A name is added once.
    public func add(_ name: String, _ tensor: Tensor) throws(CheckpointError) {
        guard values[name] == nil else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "a tensor with this name was already added")
        }
        values[name] = tensor
        tensors.append(TensorInfo(name: name, dtype: tensor.dtype, shape: tensor.shape))
    }

    public func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard let tensor = values[name] else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such tensor")
        }
        return tensor
    }
}
