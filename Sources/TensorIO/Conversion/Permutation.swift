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
        // A rotation of the axes is a matrix transpose, done in tiles.
        if let split = axes.first, split > 0, axes == Array(split..<rank) + Array(0..<split) {
            let columns = shape[split...].reduce(1, *)
            MatrixTranspose.transpose(from: from, rows: shape[..<split].reduce(1, *), rowStride: columns * elementSize,
                                      firstColumn: 0, elementSize: elementSize, outputElements: outputElements, into: to)
            return
        }
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
        switch elementSize {
        case 4: walk(UInt32.self, from: from, to: to, count: outputElements.count, index: &index, sourceOffset: sourceOffset,
                     outputShape: outputShape, walkStrides: walkStrides)
        case 2: walk(UInt16.self, from: from, to: to, count: outputElements.count, index: &index, sourceOffset: sourceOffset,
                     outputShape: outputShape, walkStrides: walkStrides)
        case 8: walk(UInt64.self, from: from, to: to, count: outputElements.count, index: &index, sourceOffset: sourceOffset,
                     outputShape: outputShape, walkStrides: walkStrides)
        case 1: walk(UInt8.self, from: from, to: to, count: outputElements.count, index: &index, sourceOffset: sourceOffset,
                     outputShape: outputShape, walkStrides: walkStrides)
        default:
            var sourceOffset = sourceOffset
            for outputPosition in 0..<outputElements.count {
                (to + outputPosition * elementSize).copyMemory(from: from + sourceOffset * elementSize, byteCount: elementSize)
                advance(&index, &sourceOffset, shape: outputShape, strides: walkStrides)
            }
        }
    }

    /// The output walk of ``permute(_:shape:axes:elementSize:outputElements:into:)`` with typed
    /// loads and stores: a `memmove` call per element was most of its time.
    @inline(__always)
    private static func walk<Element>(_: Element.Type, from: UnsafeRawPointer, to: UnsafeMutableRawPointer, count: Int,
                                      index: inout [Int], sourceOffset: Int, outputShape: [Int], walkStrides: [Int]) {
        let size = MemoryLayout<Element>.size
        var sourceOffset = sourceOffset
        for outputPosition in 0..<count {
            (to + outputPosition * size).storeBytes(of: (from + sourceOffset * size).loadUnaligned(as: Element.self),
                                                    as: Element.self)
            advance(&index, &sourceOffset, shape: outputShape, strides: walkStrides)
        }
    }

    /// The next index of `shape` in row-major order, and `offset` moved with it by `strides`
    /// (where in the other tensor that element is).
    @inline(__always)
    private static func advance(_ index: inout [Int], _ offset: inout Int, shape: [Int], strides: [Int]) {
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            offset += strides[axis]
            if index[axis] < shape[axis] { break }
            offset -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }


    /// Writes elements `outputElements` of the permuted tensor into `destination` from one
    /// pass over `input` read in order: each input element goes where the permutation sends
    /// it if that is inside the range. Slower than ``permute(_:shape:axes:elementSize:outputElements:into:)``
    /// by one pass over the input per output slice, but the input is never whole in memory.
    static func scatter(
        _ input: TensorBytes,
        shape: [Int],
        axes: [Int],
        elementSize: Int,
        outputElements: Range<Int>,
        into destination: UnsafeMutableRawBufferPointer
    ) throws(CheckpointError) {
        let rank = shape.count
        guard !outputElements.isEmpty, let to = destination.baseAddress else { return }
        let outputShape = permutedShape(shape, axes)
        var outputStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) {
            outputStrides[axis] = outputStrides[axis + 1] * outputShape[axis + 1]
        }
        // Walking the input in row-major order, the output position moves by these strides.
        var walkStrides = [Int](repeating: 0, count: rank)
        for (outputAxis, inputAxis) in axes.enumerated() { walkStrides[inputAxis] = outputStrides[outputAxis] }
        var index = [Int](repeating: 0, count: rank)
        var outputPosition = 0
        let reader = input.reader()
        while reader.remaining > 0 {
            let piece = try reader.next(upTo: TensorBytes.sliceBytes)
            guard let from = piece.baseAddress, !piece.isEmpty else { break }
            for element in 0..<(piece.count / elementSize) {
                if outputElements.contains(outputPosition) {
                    (to + (outputPosition - outputElements.lowerBound) * elementSize)
                        .copyMemory(from: from + element * elementSize, byteCount: elementSize)
                }
                advance(&index, &outputPosition, shape: shape, strides: walkStrides)
            }
        }
    }
}
