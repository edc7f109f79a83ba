/// The transpose of a large matrix in a mapped file, computed a slice at a time with bounded
/// memory: `[rows, columns]` → `[columns, rows]`.
///
/// Every output row needs one element of every input row, so a transpose that reads the
/// mapping touches all of it, and all of it becomes resident (a 604 MB MLP kernel of ViT-22B:
/// 604 MB). Here the input is read with `pread` a strip of columns at a time (one read per
/// input row), into a buffer of about ``stripBytes``; each strip gives the next output rows.
/// The copied pages stay in the page cache and out of the process.
struct StripTranspose {
    let file: MappedFile
    /// Where the row-major input starts in the file.
    let offset: Int
    let rows: Int
    let columns: Int
    let elementSize: Int

    static let stripBytes = 16 << 20

    /// A filler of the transposed bytes, in order.
    func filler() throws(CheckpointError) -> TensorBytes.Filler {
        let width = Swift.max(1, Swift.min(columns, Self.stripBytes / Swift.max(1, rows * elementSize)))
        // Every strip buffer is ``stripBytes`` (unless one column is larger), whatever the
        // matrix: buffers are reused by size (``PageBuffer``), so one of each matrix's size
        // would sit unused while the next matrix maps another.
        let owner = try PageBuffer(count: Swift.max(rows * width * elementSize, Self.stripBytes))
        let strip = owner.bytes
        var stripStart = 0
        var stripWidth = 0
        var position = 0  // output elements written so far
        return { (destination) throws(CheckpointError) in
            _ = owner
            let count = destination.count / elementSize
            guard let to = destination.baseAddress, let from = strip.baseAddress else { return }
            var index = 0
            while index < count {
                let column = (position + index) / rows
                if column >= stripStart + stripWidth || column < stripStart {
                    stripStart = column
                    stripWidth = Swift.min(width, columns - column)
                    try load(strip, start: column, width: stripWidth)
                }
                // The output elements this strip holds, up to the end of the slice.
                let end = Swift.min(position + count, (stripStart + stripWidth) * rows)
                MatrixTranspose.transpose(from: from, rows: rows, rowStride: stripWidth * elementSize, firstColumn: stripStart,
                                          elementSize: elementSize, outputElements: (position + index)..<end,
                                          into: to + index * elementSize)
                index = end - position
            }
            position += count
        }
    }

    /// Reads columns `start..<start + width` of every row into `strip`, row after row: in one
    /// read when the strip is every column (a matrix of at most ``stripBytes``, all of ViT-L's
    /// kernels: one call instead of one per row), else one read per row.
    private func load(_ strip: UnsafeMutableRawBufferPointer, start: Int, width: Int) throws(CheckpointError) {
        let rowBytes = width * elementSize
        if width == columns {
            try file.read(into: UnsafeMutableRawBufferPointer(rebasing: strip[0..<(rows * rowBytes)]), at: offset)
            return
        }
        for row in 0..<rows {
            let target = UnsafeMutableRawBufferPointer(rebasing: strip[(row * rowBytes)..<((row + 1) * rowBytes)])
            try file.read(into: target, at: offset + (row * columns + start) * elementSize)
        }
    }
}
