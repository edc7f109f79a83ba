extension Tensor {
    /// A float64 tensor of this one's shape whose element `i` is `transform(i, value_i)`,
    /// each value widened exactly to `Double` first; computed a slice at a time as it is read.
    ///
    /// For arithmetic that must round once into the output dtype (a frame weight, a LayerScale
    /// factor): map here, then ``casting(to:)``, and neither the float64 values nor the result
    /// is ever whole in memory.
    public func mappingToFloat64(_ transform: @escaping @Sendable (Int, Double) -> Double) throws(CheckpointError) -> Tensor {
        guard dtype.isFloatingPoint else {
            throw CheckpointError(.invalidRequest, file: "<memory>", "cannot map the values of a \(dtype.rawValue) tensor")
        }
        let wide = try casting(to: .float64)
        let input = wide.bytes
        let output = TensorBytes(count: elementCount * 8) { () -> TensorBytes.Filler in
            let reader = input.reader()
            var index = 0
            return { (destination) throws(CheckpointError) in
                try reader.read(into: destination)
                for offset in stride(from: 0, to: destination.count, by: 8) {
                    let value = Double(bitPattern: destination.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian)
                    destination.storeBytes(of: transform(index, value).bitPattern.littleEndian, toByteOffset: offset, as: UInt64.self)
                    index += 1
                }
            }
        }
        return Tensor(checked: .float64, shape: shape, bytes: output)
    }
}
