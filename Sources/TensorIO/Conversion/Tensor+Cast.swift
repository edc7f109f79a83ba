extension Tensor {
    /// This tensor converted to the floating-point dtype `target`, each value rounded to
    /// nearest, ties to even, in a single rounding step (NaN stays NaN, ±Inf stays ±Inf,
    /// values past the target's range become ±Inf).
    ///
    /// Only floating-point tensors are cast; the caller leaves integer and bool tensors alone.
    public func casting(to target: DType) throws(CheckpointError) -> Tensor {
        guard target != dtype, dtype.isFloatingPoint, target.isFloatingPoint else { return self }
        let source = dtype
        let input = bytes
        // Computed a slice at a time as it is written: the input is read in order alongside.
        let output = TensorBytes(count: elementCount * target.byteCount) { () -> TensorBytes.Filler in
            let reader = input.reader()
            return { (out) throws(CheckpointError) in
                let count = out.count / target.byteCount
                var done = 0
                while done < count {
                    let raw = try reader.next(upTo: (count - done) * source.byteCount)
                    guard let from = raw.baseAddress, let to = out.baseAddress, !raw.isEmpty else {
                        throw CheckpointError(.malformed, file: "<memory>", "a tensor ended early while being cast")
                    }
                    Self.convert(from, source, into: to + done * target.byteCount, target, count: raw.count / source.byteCount)
                    done += raw.count / source.byteCount
                }
            }
        }
        return Tensor(checked: target, shape: shape, bytes: output)
    }

    /// Converts `count` elements of dtype `dtype` at `source` into `target` elements at `destination`.
    private static func convert(_ source: UnsafeRawPointer, _ dtype: DType, into destination: UnsafeMutableRawPointer,
                                _ target: DType, count: Int) {
        for i in 0..<count {
            // Widening to Double is exact for every source dtype, so each path
            // below rounds once.
            let value: Double = switch dtype {
            case .float16: Double(FloatBits.float(fromFloat16: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian))
            case .bfloat16: Double(FloatBits.float(fromBFloat16: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian))
            case .float32: Double(Float(bitPattern: source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian))
            default: Double(bitPattern: source.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian)
            }
            switch target {
            case .float16:
                destination.storeBytes(of: FloatBits.float16(from: value).littleEndian, toByteOffset: i * 2, as: UInt16.self)
            case .bfloat16:
                let bits = dtype == .float64 ? FloatBits.bfloat16(from: value) : FloatBits.bfloat16(from: Float(value))
                destination.storeBytes(of: bits.littleEndian, toByteOffset: i * 2, as: UInt16.self)
            case .float32:
                destination.storeBytes(of: Float(value).bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
            default:
                destination.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 8, as: UInt64.self)
            }
        }
    }
}
