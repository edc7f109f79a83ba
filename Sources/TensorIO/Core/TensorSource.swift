/// A checkpoint opened for reading: tensor names, dtypes and shapes are known up front,
/// tensor data is read only when asked for.
///
/// Readers return sources; writers consume them one tensor at a time, so converting a file
/// never needs more memory than its largest tensor. A source is used from one thread at a
/// time.
public protocol TensorSource: AnyObject {
    /// The file (or directory) the tensors come from, for messages.
    var path: String { get }
    /// The format the tensors were read from.
    var format: CheckpointFormat { get }
    /// Every tensor, in the file's order.
    var tensors: [TensorInfo] { get }
    /// String key/values stored with the checkpoint (format-specific attributes, provenance).
    var metadata: [String: String] { get }
    /// Reads the data of the tensor called `name`.
    func read(_ name: String) throws(CheckpointError) -> Tensor
}

extension TensorSource {
    /// The info of the tensor called `name`, if there is one.
    public func info(_ name: String) -> TensorInfo? {
        tensors.first { $0.name == name }
    }
}
