/// Another source with extra metadata: the same tensors, read lazily from the base.
///
/// For attaching what a program knows about the tensors (an inflation's report) to formats
/// that store metadata.
public final class AnnotatedSource: TensorSource {
    private let base: any TensorSource
    public let metadata: [String: String]

    public init(_ base: any TensorSource, adding extra: [String: String]) {
        self.base = base
        metadata = base.metadata.merging(extra) { _, new in new }
    }

    public var path: String { base.path }
    public var format: CheckpointFormat { base.format }
    public var tensors: [TensorInfo] { base.tensors }

    public func read(_ name: String) throws(CheckpointError) -> Tensor {
        try base.read(name)
    }
}
