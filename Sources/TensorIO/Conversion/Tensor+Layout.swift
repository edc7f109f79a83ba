/// Exact, dtype-agnostic layout operations: they move bytes, never change values, so every
/// layout conversion built on them is bit-exact and invertible.
extension Tensor {
    /// The same bytes with another shape of the same element count (numpy's C-order reshape).
    public func reshaped(_ newShape: [Int]) throws(CheckpointError) -> Tensor {
        guard let count = Shape.elementCount(newShape), count == elementCount else {
            throw CheckpointError(.invalidRequest, file: "<memory>",
                "cannot reshape \(Shape.describe(shape)) to \(Shape.describe(newShape)): the element counts differ")
        }
        return Tensor(checked: dtype, shape: newShape, bytes: bytes)
    }

    /// The axes reordered: `result.shape[k] == shape[axes[k]]` (numpy's `transpose(axes)`).
    public func permuted(_ axes: [Int]) throws(CheckpointError) -> Tensor {
        guard axes.count == shape.count, Set(axes) == Set(0..<shape.count) else {
            throw CheckpointError(.invalidRequest, file: "<memory>",
                "axes \(axes) are not a permutation of the \(shape.count) axes of \(Shape.describe(shape))")
        }
        if axes == Array(0..<shape.count) { return self }
        let (shape, dtype) = (shape, dtype)
        let outputShape = Permutation.permutedShape(shape, axes)
        // A rotation of the axes is a matrix transpose; a large one in a mapped file is read
        // a strip at a time (``StripTranspose``) rather than all resident.
        if let split = axes.first, axes == Array(split..<shape.count) + Array(0..<split),
           bytes.count >= TensorBytesReader.releaseThreshold, case .stored(let storage) = bytes.representation,
           let (file, offset) = storage.fileRange {
            let transpose = StripTranspose(file: file, offset: offset, rows: shape[..<split].reduce(1, *),
                                           columns: shape[split...].reduce(1, *), elementSize: dtype.byteCount)
            let output = TensorBytes(count: bytes.count, computedAhead: true) { () throws(CheckpointError) -> TensorBytes.Filler in
                try transpose.filler()
            }
            return Tensor(checked: dtype, shape: outputShape, bytes: output)
        }
        // A large computed input (an inflated tubelet kernel) is not computed whole: each
        // output slice is picked from a fresh pass over it (``Permutation/scatter``).
        if bytes.isStreamed, bytes.count >= TensorBytesReader.releaseThreshold {
            let input = bytes
            let output = TensorBytes(count: bytes.count) { () -> TensorBytes.Filler in
                var position = 0
                return { (destination) throws(CheckpointError) in
                    let elements = destination.count / dtype.byteCount
                    try Permutation.scatter(input, shape: shape, axes: axes, elementSize: dtype.byteCount,
                                            outputElements: position..<(position + elements), into: destination)
                    position += elements
                }
            }
            return Tensor(checked: dtype, shape: outputShape, bytes: output)
        }
        // Otherwise the output is computed a slice at a time as it is written, and the input,
        // read at random, is in memory (a mapped input: its pages, not a copy).
        let input = try bytes.materialised()
        let output = TensorBytes(count: bytes.count, computedAhead: true) { () -> TensorBytes.Filler in
            var position = 0
            return { destination in
                let elements = destination.count / dtype.byteCount
                input.withUnsafeBytes { source in
                    Permutation.permute(source, shape: shape, axes: axes, elementSize: dtype.byteCount,
                                        outputElements: position..<(position + elements), into: destination)
                }
                position += elements
            }
        }
        return Tensor(checked: dtype, shape: outputShape, bytes: output)
    }

    /// `parts` equal pieces along `axis` (numpy's `split(x, parts, axis)`).
    public func split(axis: Int, parts: Int) throws(CheckpointError) -> [Tensor] {
        guard axis >= 0, axis < shape.count, parts > 0, shape[axis] % parts == 0 else {
            throw CheckpointError(.invalidRequest, file: "<memory>",
                "cannot split \(Shape.describe(shape)) into \(parts) equal parts along axis \(axis)")
        }
        let outer = shape[..<axis].reduce(1, *)
        let piece = shape[axis] / parts
        let inner = shape[(axis + 1)...].reduce(1, *) * dtype.byteCount
        var pieceShape = shape
        pieceShape[axis] = piece
        var results: [Tensor] = []
        let bytes = try bytes.materialised()
        for part in 0..<parts {
            let output = try TensorBytes(count: outer * piece * inner) { destination in
                bytes.withUnsafeBytes { source in
                    guard let from = source.baseAddress, let to = destination.baseAddress else { return }
                    for row in 0..<outer {
                        let sourceOffset = (row * shape[axis] + part * piece) * inner
                        (to + row * piece * inner).copyMemory(from: from + sourceOffset, byteCount: piece * inner)
                    }
                }
            }
            results.append(Tensor(checked: dtype, shape: pieceShape, bytes: output))
        }
        return results
    }

    /// `tensors` joined along `axis` (numpy's `concatenate`); all other axes must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) throws(CheckpointError) -> Tensor {
        guard let first = tensors.first, axis >= 0, axis < first.shape.count else {
            throw CheckpointError(.invalidRequest, file: "<memory>", "nothing to concatenate along axis \(axis)")
        }
        for tensor in tensors {
            var a = tensor.shape, b = first.shape
            guard a.count == b.count, tensor.dtype == first.dtype else {
                throw CheckpointError(.invalidRequest, file: "<memory>", "cannot concatenate \(Shape.describe(tensor.shape)) with \(Shape.describe(first.shape))")
            }
            a[axis] = 0
            b[axis] = 0
            guard a == b else {
                throw CheckpointError(.invalidRequest, file: "<memory>", "cannot concatenate \(Shape.describe(tensor.shape)) with \(Shape.describe(first.shape)) along axis \(axis)")
            }
        }
        let inner = first.shape[(axis + 1)...].reduce(1, *) * first.dtype.byteCount
        var shape = first.shape
        shape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let total = tensors.reduce(0) { $0 + $1.bytes.count }
        // Computed a slice at a time as it is written: each input is read in order, one
        // row of each in turn, so a tiled or inflated tensor is never whole in memory.
        let chunks = tensors.map { $0.shape[axis] * inner }
        let parts = tensors.map(\.bytes)
        let output = TensorBytes(count: total) { () -> TensorBytes.Filler in
            // A reader is made when its part is first read and dropped when the part is done,
            // so the slice buffers of computed parts (16 tiles of a resized grid) are not all
            // held at once.
            var readers: [TensorBytesReader?] = Array(repeating: nil, count: parts.count)
            var part = 0
            var leftInChunk = chunks.first ?? 0
            return { (destination) throws(CheckpointError) in
                guard let to = destination.baseAddress else { return }
                var filled = 0
                while filled < destination.count {
                    while leftInChunk == 0 {
                        if readers[part]?.remaining == 0 { readers[part] = nil }
                        part = (part + 1) % readers.count
                        leftInChunk = chunks[part]
                    }
                    let reader = readers[part] ?? parts[part].reader()
                    readers[part] = reader
                    let piece = try reader.next(upTo: min(leftInChunk, destination.count - filled))
                    guard let from = piece.baseAddress, !piece.isEmpty else {
                        throw CheckpointError(.malformed, file: "<memory>", "a tensor ended early while being joined")
                    }
                    (to + filled).copyMemory(from: from, byteCount: piece.count)
                    filled += piece.count
                    leftInChunk -= piece.count
                }
            }
        }
        return Tensor(checked: first.dtype, shape: shape, bytes: output)
    }
}

extension Tensor {
    /// Elements `range` along `axis` (numpy's `x[:, a:b]` on that axis).
    ///
    /// A slice that is one run of the tensor's bytes (every axis before `axis` has length 1:
    /// one block of a stacked kernel, a position table's class row or grid) of a tensor
    /// borrowed from a mapped file borrows the same file, with no copy, so a writer can still
    /// have the kernel copy it: a block of big_vision's scanned ViT-22B MLP kernel is 604 MB.
    /// Any other slice of at least ``TensorBytesReader/releaseThreshold`` is copied a slice at
    /// a time as it is read; smaller ones at once.
    public func slice(axis: Int, _ range: Range<Int>) throws(CheckpointError) -> Tensor {
        guard axis >= 0, axis < shape.count, range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw CheckpointError(.invalidRequest, file: "<memory>", "cannot take \(range) along axis \(axis) of \(Shape.describe(shape))")
        }
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *) * dtype.byteCount
        var newShape = shape
        newShape[axis] = range.count
        if outer == 1, let borrowed = bytes.borrowedSlice((range.lowerBound * inner)..<(range.upperBound * inner)) {
            return Tensor(checked: dtype, shape: newShape, bytes: borrowed)
        }
        let bytes = try bytes.materialised()
        let run = range.count * inner  // bytes of one outer row in the slice
        let (stride, first) = (shape[axis] * inner, range.lowerBound * inner)
        /// Copies output bytes `position..<position + destination.count` from `source`.
        @Sendable func copy(_ destination: UnsafeMutableRawBufferPointer, at position: Int, from source: UnsafeRawBufferPointer) {
            guard let from = source.baseAddress, let to = destination.baseAddress else { return }
            var done = 0
            while done < destination.count {
                let (row, column) = (position + done).quotientAndRemainder(dividingBy: run)
                let count = Swift.min(run - column, destination.count - done)
                (to + done).copyMemory(from: from + row * stride + first + column, byteCount: count)
                done += count
            }
        }
        let count = outer * run
        guard count >= TensorBytesReader.releaseThreshold else {
            let output = try TensorBytes(count: count) { destination in
                bytes.withUnsafeBytes { copy(destination, at: 0, from: $0) }
            }
            return Tensor(checked: dtype, shape: newShape, bytes: output)
        }
        let output = TensorBytes(count: count) { () -> TensorBytes.Filler in
            var position = 0
            return { destination in
                bytes.withUnsafeBytes { copy(destination, at: position, from: $0) }
                position += destination.count
            }
        }
        return Tensor(checked: dtype, shape: newShape, bytes: output)
    }

    /// A tensor of zeros (all-zero bytes, which is 0 for every dtype).
    public static func zeros(_ dtype: DType, shape: [Int]) throws(CheckpointError) -> Tensor {
        guard let count = Shape.byteCount(shape, dtype) else {
            throw CheckpointError(.invalidRequest, file: "<memory>", "shape \(Shape.describe(shape)) overflows")
        }
        let bytes = TensorBytes(count: count) { () -> TensorBytes.Filler in
            { buffer in buffer.initializeMemory(as: UInt8.self, repeating: 0) }
        }
        return Tensor(checked: dtype, shape: shape, bytes: bytes)
    }

    /// Whether every byte is zero (every element is +0, or false).
    public var isAllZeroBytes: Bool {
        var allZero = true
        do {
            try bytes.forEachSlice { slice in if allZero { allZero = slice.allSatisfy { $0 == 0 } } }
        } catch {
            return false
        }
        return allZero
    }

    /// Elementwise sum of two floating-point tensors of one shape and dtype, each sum
    /// rounded once to the dtype.
    public func adding(_ other: Tensor) throws(CheckpointError) -> Tensor {
        guard other.shape == shape, other.dtype == dtype, dtype.isFloatingPoint else {
            throw CheckpointError(.invalidRequest, file: "<memory>",
                "cannot add \(other.dtype.rawValue) \(Shape.describe(other.shape)) to \(dtype.rawValue) \(Shape.describe(shape))")
        }
        let sums = zip(doubleValues, other.doubleValues).map { $0 + $1 }
        let wide = try TensorBytes(count: sums.count * 8) { buffer in
            for (index, value) in sums.enumerated() {
                buffer.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 8, as: UInt64.self)
            }
        }
        return try Tensor(checked: .float64, shape: shape, bytes: wide).casting(to: dtype)
    }
}
