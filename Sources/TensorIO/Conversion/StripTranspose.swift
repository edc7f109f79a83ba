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
        let owner = try PageBuffer(count: rows * width * elementSize)
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
                let output = position + index
                let column = output / rows
                let row = output % rows
                if column >= stripStart + stripWidth || column < stripStart {
                    stripStart = column
                    stripWidth = Swift.min(width, columns - column)
                    try load(strip, start: column, width: stripWidth)
                }
                // The rest of output row `column` (or of this slice): one strip column, read
                // down the strip.
                let run = Swift.min(rows - row, count - index)
                let source = from + (row * stripWidth + column - stripStart) * elementSize
                let stride = stripWidth * elementSize
                let target = to + index * elementSize
                switch elementSize {
                case 4:
                    for k in 0..<run {
                        target.storeBytes(of: (source + k * stride).loadUnaligned(as: UInt32.self), toByteOffset: k * 4, as: UInt32.self)
                    }
                case 2:
                    for k in 0..<run {
                        target.storeBytes(of: (source + k * stride).loadUnaligned(as: UInt16.self), toByteOffset: k * 2, as: UInt16.self)
                    }
                default:
                    for k in 0..<run {
                        (target + k * elementSize).copyMemory(from: source + k * stride, byteCount: elementSize)
                    }
                }
                index += run
            }
            position += count
        }
    }

    /// Reads columns `start..<start + width` of every row into `strip`, row after row.
    private func load(_ strip: UnsafeMutableRawBufferPointer, start: Int, width: Int) throws(CheckpointError) {
        let rowBytes = width * elementSize
        for row in 0..<rows {
            let target = UnsafeMutableRawBufferPointer(rebasing: strip[(row * rowBytes)..<((row + 1) * rowBytes)])
            try file.read(into: target, at: offset + (row * columns + start) * elementSize)
        }
    }
}
