extension Tensor {
    /// Calls `body` with each element as a `Double`, in row-major order.
    ///
    /// Every dtype Tubelet knows converts to `Double` exactly, except 64-bit integers above
    /// 2^53, which round. For statistics and comparisons that is what is wanted.
    public func forEachElement(_ body: (Double) -> Void) {
        bytes.withUnsafeBytes { raw in Self.forEachElement(of: raw, dtype, body) }
    }

    /// Calls `body` with each element of `raw`, elements of `dtype`, as a `Double`.
    static func forEachElement(of raw: UnsafeRawBufferPointer, _ dtype: DType, _ body: (Double) -> Void) {
        guard let base = raw.baseAddress else { return }
        let count = raw.count / dtype.byteCount
        switch dtype {
        case .bool: for i in 0..<count { body(base.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0) }
        case .uint8: for i in 0..<count { body(Double(base.load(fromByteOffset: i, as: UInt8.self))) }
        case .int8: for i in 0..<count { body(Double(base.load(fromByteOffset: i, as: Int8.self))) }
        case .int16: for i in 0..<count { body(Double(Int16(littleEndian: base.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)))) }
        case .uint16: for i in 0..<count { body(Double(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))) }
        case .int32: for i in 0..<count { body(Double(Int32(littleEndian: base.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))) }
        case .uint32: for i in 0..<count { body(Double(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))) }
        case .int64: for i in 0..<count { body(Double(Int64(littleEndian: base.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))) }
        case .uint64: for i in 0..<count { body(Double(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))) }
        case .float16:
            for i in 0..<count {
                body(Double(FloatBits.float(fromFloat16: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))))
            }
        case .bfloat16:
            for i in 0..<count {
                body(Double(FloatBits.float(fromBFloat16: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))))
            }
        case .float32:
            for i in 0..<count {
                body(Double(Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))))
            }
        case .float64:
            for i in 0..<count {
                body(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
            }
        }
    }

    /// Every element as a `Double`, for tests and small tensors.
    public var doubleValues: [Double] {
        var values: [Double] = []
        values.reserveCapacity(elementCount)
        forEachElement { values.append($0) }
        return values
    }

    /// A reader of the elements in order as `Double`s, a block at a time, for passes over
    /// tensors of any size (statistics, comparisons) that hold neither tensor whole.
    public func elementReader() -> TensorElementReader {
        TensorElementReader(self)
    }
}

/// Reads a tensor's elements front to back as `Double`s (converted as
/// ``Tensor/forEachElement(_:)`` does), through a ``TensorBytesReader``: a streamed tensor is
/// computed a slice at a time, and a large mapped one gives its pages back behind the read
/// position. A tensor that fails while streamed throws its error here.
public final class TensorElementReader {
    private let bytes: TensorBytesReader
    private let dtype: DType
    /// Elements handed out per call, at most: a slice of float64.
    public static let blockElements = TensorBytes.sliceBytes / 8

    init(_ tensor: Tensor) {
        bytes = tensor.bytes.reader()
        dtype = tensor.dtype
    }

    /// Replaces `values` with the next elements, ``blockElements`` of them or fewer at the
    /// end; empty at the end.
    public func next(into values: inout [Double]) throws(CheckpointError) {
        values.removeAll(keepingCapacity: true)
        let wanted = Swift.min(Self.blockElements, bytes.remaining / dtype.byteCount)
        while values.count < wanted {
            let piece = try bytes.next(upTo: (wanted - values.count) * dtype.byteCount)
            guard !piece.isEmpty, piece.count % dtype.byteCount == 0 else {
                throw CheckpointError(.malformed, file: "<memory>", "a tensor's bytes ended inside an element")
            }
            Tensor.forEachElement(of: piece, dtype) { values.append($0) }
        }
    }
}
