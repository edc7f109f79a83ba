import TensorIO

extension KernelInflation {
    /// The weight each of `frames` frames gives the 2-D kernel.
    ///
    /// central: 1 at `frames / 2` (0-based, scenic's `c = ft // 2`), 0 elsewhere. average:
    /// `1 / frames` everywhere. arp: `α_i / frames` with `α_i = 2(T − i + 1) − (T + 1)(H_T −
    /// H_{i−1})`, `H_k` the k-th harmonic number (Bilen et al., PAMI 2017, Eq. 3); they sum to 0.
    public func frameWeights(frames: Int) -> [Double] {
        switch self {
        case .central:
            return (0..<frames).map { $0 == frames / 2 ? 1 : 0 }
        case .average:
            return Array(repeating: 1 / Double(frames), count: frames)
        case .arp:
            let harmonic = (0...frames).map { k in (0..<k).reduce(0.0) { $0 + 1 / Double($1 + 1) } }
            return (1...frames).map { i in
                let alpha = 2 * Double(frames - i + 1) - Double(frames + 1) * (harmonic[frames] - harmonic[i - 1])
                return alpha / Double(frames)
            }
        }
    }

    /// The tubelet kernel `[t, h, w, C, D]` made from a 2-D patch kernel `[h, w, C, D]`.
    ///
    /// Each frame is the 2-D kernel times its weight, computed in double precision and rounded
    /// once to the kernel's dtype; a weight of 1 or 0 copies or zeroes it exactly.
    public func inflate(_ kernel: Tensor, frames: Int) throws(CheckpointError) -> Tensor {
        let weights = frameWeights(frames: frames)
        // Every frame, and the joined kernel, is computed a slice at a time as it is written.
        var slices: [Tensor] = []
        for weight in weights {
            let frame: Tensor
            if weight == 1 {
                frame = kernel
            } else if weight == 0 {
                frame = try Tensor.zeros(kernel.dtype, shape: kernel.shape)
            } else {
                frame = try kernel.mappingToFloat64 { _, value in value * weight }.casting(to: kernel.dtype)
            }
            slices.append(try frame.reshaped([1] + kernel.shape))
        }
        return try Tensor.concatenate(slices, axis: 0)
    }
}
