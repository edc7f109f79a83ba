/// Opens files of one format as lazy ``TensorSource``s. Every format plugs in here.
public protocol CheckpointReader: Sendable {
    var format: CheckpointFormat { get }
    /// Opens `path`, reading headers only; tensor data is read when the source is asked.
    func open(_ path: String, options: ReadOptions) throws(CheckpointError) -> any TensorSource
}

/// Choices a caller makes about how a file is read.
public struct ReadOptions: Sendable {
    /// Read 2-byte opaque (`V2`) arrays as bfloat16, which is how ml_dtypes and JAX save
    /// bfloat16 to `.npy`. Without it such arrays are an error, because the bytes alone
    /// cannot say whether they are bfloat16.
    public var opaqueTwoByteAsBFloat16 = false
    /// What a file may declare before it is refused (header sizes, decompressed sizes,
    /// tensor count, rank).
    public var limits = Limits()

    public init(opaqueTwoByteAsBFloat16: Bool = false) {
        self.opaqueTwoByteAsBFloat16 = opaqueTwoByteAsBFloat16
    }
}
