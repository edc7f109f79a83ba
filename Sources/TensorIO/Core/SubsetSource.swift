/// Another source without some of its tensors: the rest, read lazily from the base.
///
/// For leaving tensors out on purpose (a conversion's exclusions); the caller records what it left
/// out, since nothing may be dropped silently.
public final class SubsetSource: TensorSource {
    private let base: any TensorSource
    public let tensors: [TensorInfo]
    private let kept: Set<String>

    /// - Parameter excluded: names of `base`'s tensors to leave out.
    public init(_ base: any TensorSource, excluding excluded: Set<String>) {
        self.base = base
        tensors = base.tensors.filter { !excluded.contains($0.name) }
        kept = Set(tensors.map(\.name))
    }

    public var path: String { base.path }
    public var format: CheckpointFormat { base.format }
    public var metadata: [String: String] { base.metadata }

    public func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard kept.contains(name) else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such tensor (it was left out)")
        }
        return try base.read(name)
    }
}
