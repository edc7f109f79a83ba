/// A strided view of a storage (torch's `as_strided`): which elements of the storage a
/// tensor holds, and how to copy them out in row-major order.
///
/// torch saves a tensor as its whole storage plus an offset, sizes and strides, all in
/// elements, so a slice, a transpose or one of several tensors sharing a storage must be
/// gathered. Every index is checked against the storage before anything is read.
struct StridedView: Sendable, Equatable {
    let offset: Int
    let shape: [Int]
    let strides: [Int]

    /// Why a view does not fit its storage.
    struct OutOfBounds: Error {
        var reason: String
    }

    /// The number of elements of the view, or nil on overflow.
    var elementCount: Int? { Shape.elementCount(shape) }

    /// Checks that every element the view addresses lies in a storage of `storageElements`
    /// elements: for a non-empty view, `offset + Σ (size_i − 1) × stride_i < storageElements`,
    /// in checked arithmetic. Negative sizes, strides and offsets are refused.
    func check(storageElements: Int) throws(OutOfBounds) {
        guard offset >= 0 else { throw OutOfBounds(reason: "a negative storage offset \(offset)") }
        if let negative = shape.first(where: { $0 < 0 }) { throw OutOfBounds(reason: "a negative size \(negative)") }
        if let negative = strides.first(where: { $0 < 0 }) { throw OutOfBounds(reason: "a negative stride \(negative)") }
        guard elementCount != nil else { throw OutOfBounds(reason: "sizes whose product overflows 64 bits") }
        if shape.contains(0) {
            guard offset <= storageElements else { throw OutOfBounds(reason: "an offset past the end of the storage") }
            return
        }
        var last = offset
        for (size, stride) in zip(shape, strides) {
            let (step, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, overflow2) = last.addingReportingOverflow(step)
            guard !overflow, !overflow2 else { throw OutOfBounds(reason: "strides whose extent overflows 64 bits") }
            last = sum
        }
        guard last < storageElements else {
            throw OutOfBounds(reason: "its last element is element \(last) but the storage holds \(storageElements)")
        }
    }

    /// Whether the view is the first `elementCount` elements of the storage in row-major
    /// order, so the storage's bytes can be used as they are.
    var isContiguousFromStart: Bool {
        guard offset == 0 else { return false }
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            guard stride == expected else { return false }
            expected *= size
        }
        return true
    }

    /// Copies the view's elements, row-major, from `storage` into `destination`, which
    /// holds exactly `elementCount × elementSize` bytes. The view must have passed
    /// ``check(storageElements:)`` for a storage of at least `storage.count / elementSize`
    /// elements.
    func gather(from storage: UnsafeRawBufferPointer, elementSize: Int, into destination: UnsafeMutableRawBufferPointer) {
        guard let count = elementCount, count > 0, let from = storage.baseAddress, let to = destination.baseAddress else { return }
        guard let innerSize = shape.last, let innerStride = strides.last else {
            to.copyMemory(from: from + offset * elementSize, byteCount: elementSize)
            return
        }
        let outer = Array(shape.dropLast())
        let outerStrides = Array(strides.dropLast())
        var index = [Int](repeating: 0, count: outer.count)
        var rowStart = offset
        var written = 0
        let rows = count / innerSize
        for _ in 0..<rows {
            if innerStride == 1 {
                (to + written).copyMemory(from: from + rowStart * elementSize, byteCount: innerSize * elementSize)
                written += innerSize * elementSize
            } else {
                var element = rowStart
                for _ in 0..<innerSize {
                    (to + written).copyMemory(from: from + element * elementSize, byteCount: elementSize)
                    written += elementSize
                    element += innerStride
                }
            }
            var axis = outer.count - 1
            while axis >= 0 {
                index[axis] += 1
                rowStart += outerStrides[axis]
                if index[axis] < outer[axis] { break }
                rowStart -= outerStrides[axis] * outer[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
