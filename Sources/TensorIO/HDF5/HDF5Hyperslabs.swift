/// A row-major tensor cut into hyperslabs of at most a given size that follow each other in
/// memory order, so a tensor can be written (or read) through libhdf5 a slice at a time.
///
/// The cut is along the outermost axis whose inner rows fit the size: a `[3072, 12288]`
/// float32 kernel in 4 MB slices is 85 rows at a time; a `[1, 257, 6144]` table, whose one
/// outer row is 6 MB, is 170 positions at a time.
struct HDF5Hyperslabs: Sequence {
    let shape: [Int]
    let elementSize: Int
    let maxBytes: Int

    struct Slab {
        let start: [Int]
        let count: [Int]
        let byteCount: Int
    }

    func makeIterator() -> AnyIterator<Slab> {
        let rank = shape.count
        guard rank > 0, !shape.contains(0) else { return AnyIterator { nil } }
        // The outermost axis whose inner rows fit in maxBytes (the last axis always does,
        // since one element does).
        var axis = rank - 1
        var inner = elementSize
        while axis > 0, inner * shape[axis] <= maxBytes {
            inner *= shape[axis]
            axis -= 1
        }
        let rowsPerSlab = Swift.max(1, maxBytes / inner)
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
