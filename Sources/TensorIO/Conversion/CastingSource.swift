/// A view of another source with every floating-point tensor cast to one dtype, lazily:
/// each tensor is converted when it is read.
public final class CastingSource: TensorSource {
    private let base: any TensorSource
    public let target: DType
    public let tensors: [TensorInfo]

    /// - Parameter target: a floating-point dtype; integer and bool tensors pass through.
    public init(_ base: any TensorSource, to target: DType) throws(CheckpointError) {
        guard target.isFloatingPoint else {
            throw CheckpointError(.invalidRequest, file: base.path, "cannot cast to \(target.rawValue): only floating-point dtypes are cast targets",
                fix: "Use float16, bfloat16, float32 or float64")
        }
        self.base = base
        self.target = target
        tensors = base.tensors.map { info in
            var cast = info
            if info.dtype.isFloatingPoint { cast.dtype = target }
            return cast
        }
    }

    public var path: String { base.path }
    public var format: CheckpointFormat { base.format }
    public var metadata: [String: String] { base.metadata }

    public func read(_ name: String) throws(CheckpointError) -> Tensor {
        do {
            return try base.read(name).casting(to: target)
        } catch {
            throw error.about(file: path, tensor: name)
        }
    }
}
