extension Tensor {
    /// Calls `body` with each element as a `Double`, in row-major order.
    ///
    /// Every dtype Tubelet knows converts to `Double` exactly, except 64-bit integers above
    /// 2^53, which round. For statistics and comparisons that is what is wanted.
    public func forEachElement(_ body: (Double) -> Void) {
        bytes.withUnsafeBytes { raw in Self.forEachElement(in: raw, dtype: dtype, body) }
    }

    /// Calls `body` with each element of `dtype` in `raw` (a whole number of elements, such as
    /// a slice of a tensor's bytes) as a `Double`, in order; converted as
    /// ``forEachElement(_:)`` converts.
    public static func forEachElement(in raw: UnsafeRawBufferPointer, dtype: DType, _ body: (Double) -> Void) {
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
}
