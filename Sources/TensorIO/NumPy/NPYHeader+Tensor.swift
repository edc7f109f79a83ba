extension NPYHeader {
    /// The tensor this header describes over raw `data`: returned as is when the array is
    /// little-endian and in C order, otherwise converted into a new buffer.
    func tensor(from data: TensorBytes) throws(CheckpointError) -> Tensor {
        let needsSwap = isBigEndian && dtype.byteCount > 1
        let needsTranspose = isFortranOrder && shape.count > 1
        guard needsSwap || needsTranspose else {
            return Tensor(checked: dtype, shape: shape, bytes: data)
        }
        let data = try data.materialised()
        let converted = try TensorBytes(count: data.count) { output in
            data.withUnsafeBytes { input in
                if needsTranspose {
                    // Fortran-order data is the C-order data of the reversed shape.
                    let rank = shape.count
                    Permutation.permute(input, shape: shape.reversed(), axes: Array((0..<rank).reversed()),
                                        elementSize: dtype.byteCount, into: output)
                } else if let base = input.baseAddress, let target = output.baseAddress {
                    target.copyMemory(from: base, byteCount: input.count)
                }
            }
            if needsSwap { ByteOrder.swapElements(output, elementSize: dtype.byteCount) }
        }
        return Tensor(checked: dtype, shape: shape, bytes: converted)
    }
}
