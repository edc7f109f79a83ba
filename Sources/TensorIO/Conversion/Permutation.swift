/// Reorders the axes of row-major data: `output[i_perm0, i_perm1, …] = input[i_0, i_1, …]`,
/// numpy's `transpose(axes)` followed by a C-order copy.
///
/// Used to turn Fortran-order arrays into C order, and later by layouts for Flax ↔ PyTorch
/// kernel permutations.
enum Permutation {
    /// The shape after permuting `shape` by `axes` (`result[k] = shape[axes[k]]`).
    static func permutedShape(_ shape: [Int], _ axes: [Int]) -> [Int] {
        axes.map { shape[$0] }
    }

    /// Copies `source` (row-major, `shape`) into `destination` with its axes permuted.
    /// `axes` must be a permutation of `0..<shape.count`; both buffers hold the same number of
    /// `elementSize`-byte elements.
    static func permute(
        _ source: UnsafeRawBufferPointer,
        shape: [Int],
        axes: [Int],
        elementSize: Int,
        into destination: UnsafeMutableRawBufferPointer
    ) {
        permute(source, shape: shape, axes: axes, elementSize: elementSize,
                outputElements: 0..<(Shape.elementCount(shape) ?? 0), into: destination)
    }

    /// Writes elements `outputElements` of the permuted tensor (in its row-major order) into
    /// `destination`, which holds exactly that many: a permutation computed a slice at a time.
    static func permute(
        _ source: UnsafeRawBufferPointer,
        shape: [Int],
        axes: [Int],
        elementSize: Int,
        outputElements: Range<Int>,
        into destination: UnsafeMutableRawBufferPointer
    ) {
        let rank = shape.count
        guard !outputElements.isEmpty, let from = source.baseAddress, let to = destination.baseAddress else { return }
        // Strides of the source, in elements.
        var sourceStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) {
            sourceStrides[axis] = sourceStrides[axis + 1] * shape[axis + 1]
        }
        let outputShape = permutedShape(shape, axes)
        // Walking the output in row-major order, the source moves by these strides.
        let walkStrides = axes.map { sourceStrides[$0] }
        // The output index of the first element, and where it comes from.
        var index = [Int](repeating: 0, count: rank)
        var sourceOffset = 0
        var remainder = outputElements.lowerBound
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            index[axis] = remainder % outputShape[axis]
            remainder /= outputShape[axis]
            sourceOffset += index[axis] * walkStrides[axis]
        }
        for outputPosition in 0..<outputElements.count {
            (to + outputPosition * elementSize).copyMemory(from: from + sourceOffset * elementSize, byteCount: elementSize)
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                sourceOffset += walkStrides[axis]
                if index[axis] < outputShape[axis] { break }
                sourceOffset -= walkStrides[axis] * outputShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
