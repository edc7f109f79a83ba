/// A row-major tensor cut into hyperslabs of at most a given size that follow each other in
/// memory order, so a tensor can be written or read through libhdf5 a slice at a time.
///
/// The cut is along the outermost axis whose inner rows fit the size: a `[3072, 12288]`
/// float32 kernel in 4 MB slabs is 85 rows at a time; a `[1, 257, 6144]` table, whose one
/// outer row is 6 MB, is 170 positions at a time.
///
/// A chunked dataset is read best in slabs that start on chunk boundaries (``rowAlignment``):
/// then every chunk lies in one slab and libhdf5 decompresses it once.
struct HDF5Hyperslabs: Sequence {
    let shape: [Int]
    let elementSize: Int
    let maxBytes: Int
    /// Slabs hold a multiple of this many rows of the cut axis (the last slab of a run of
    /// rows excepted), and at least this many even when that is more than `maxBytes`.
    var rowAlignment = 1

    struct Slab {
        let start: [Int]
        let count: [Int]
        let byteCount: Int
    }

    /// The axis the slabs cut, and the bytes of one row of it (everything inside the axis):
    /// the outermost axis whose rows fit in `maxBytes` (the last axis always does, since one
    /// element does). Nil for a scalar or an empty tensor.
    var cut: (axis: Int, rowBytes: Int)? {
        let rank = shape.count
        guard rank > 0, !shape.contains(0) else { return nil }
        var axis = rank - 1
        var inner = elementSize
        while axis > 0, inner * shape[axis] <= maxBytes {
            inner *= shape[axis]
            axis -= 1
        }
        return (axis, inner)
    }

    /// Rows of the cut axis per slab.
    var rowsPerSlab: Int {
        guard let (_, inner) = cut else { return 1 }
        let alignment = Swift.max(1, rowAlignment)
        return Swift.max(alignment, maxBytes / inner / alignment * alignment)
    }

    func makeIterator() -> AnyIterator<Slab> {
        guard let (axis, inner) = cut else { return AnyIterator { nil } }
        let rank = shape.count
        let rowsPerSlab = rowsPerSlab
        let outerShape = Array(shape[..<axis])
        var outerIndex = [Int](repeating: 0, count: axis)
        var position = 0
        var finished = false
        return AnyIterator {
            guard !finished else { return nil }
            let rows = Swift.min(rowsPerSlab, shape[axis] - position)
            let slab = Slab(start: outerIndex + [position] + [Int](repeating: 0, count: rank - axis - 1),
                            count: [Int](repeating: 1, count: axis) + [rows] + Array(shape[(axis + 1)...]),
                            byteCount: rows * inner)
            position += rows
            if position == shape[axis] {
                position = 0
                var carry = axis - 1
                while carry >= 0 {
                    outerIndex[carry] += 1
                    if outerIndex[carry] < outerShape[carry] { break }
                    outerIndex[carry] = 0
                    carry -= 1
                }
                if carry < 0 { finished = true }
            }
            return slab
        }
    }
}
