/// What is known about a tensor without reading its data: its name, dtype and shape.
public struct TensorInfo: Sendable, Equatable {
    /// The tensor's name as the file spells it (`/`-separated for nested trees).
    public var name: String
    public var dtype: DType
    public var shape: [Int]

    public init(name: String, dtype: DType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    /// The number of elements. Readers only create infos whose size has been checked, so
    /// this cannot overflow for an info that came from a reader.
    public var elementCount: Int { Shape.elementCount(shape) ?? 0 }

    /// The number of bytes of data.
    public var byteCount: Int { Shape.byteCount(shape, dtype) ?? 0 }
}
