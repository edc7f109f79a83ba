/// A tensor: a dtype, a shape and row-major little-endian bytes.
///
/// Tensors carry no name; a ``TensorSource`` maps names to tensors.
public struct Tensor: Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let bytes: TensorBytes

    /// Creates a tensor over `bytes`, checking that their count matches `shape` and `dtype`.
    public init(dtype: DType, shape: [Int], bytes: TensorBytes) throws(CheckpointError) {
        guard let expected = Shape.byteCount(shape, dtype) else {
            throw CheckpointError(.malformed, file: "<memory>", "shape \(Shape.describe(shape)) of \(dtype.rawValue) overflows 64-bit sizes")
        }
        guard expected == bytes.count else {
            throw CheckpointError(.malformed, file: "<memory>",
                "shape \(Shape.describe(shape)) of \(dtype.rawValue) needs \(expected) bytes, got \(bytes.count)")
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Creates a tensor whose byte count the caller has already checked.
    init(checked dtype: DType, shape: [Int], bytes: TensorBytes) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Creates a float32 tensor from values, for tests and small initialisers.
    public init(float32 values: [Float], shape: [Int]) throws(CheckpointError) {
        let data = try TensorBytes(count: values.count * 4) { buffer in
            for (index, value) in values.enumerated() {
                buffer.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        try self.init(dtype: .float32, shape: shape, bytes: data)
    }

    public var elementCount: Int { bytes.count / dtype.byteCount }
}
