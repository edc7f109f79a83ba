/// The transpose of a row-major matrix, `[rows, columns]` → `[columns, rows]`, for any range of
/// output elements, in tiles of `tile` x `tile` elements: each source cache line is read once
/// and each output line written whole. Element by element (a cache miss, often a TLB miss, per element
/// read down a column, and a `memmove` call per element) this was most of an HF export's CPU.
enum MatrixTranspose {
    /// Output rows made together: 16 four-byte elements are one 64-byte cache line of a source row.
    static let tile = 16

    /// Writes output elements `outputElements` (row-major in `[columns, rows]`) to `destination`.
    /// Source element `(row, column)` is at `source + row * rowStride + (column - firstColumn) *
    /// elementSize`, for the columns the range needs (``StripTranspose`` passes a strip of them).
    static func transpose(
        from source: UnsafeRawPointer, rows: Int, rowStride: Int, firstColumn: Int, elementSize: Int,
        outputElements: Range<Int>, into destination: UnsafeMutableRawPointer
    ) {
        var index = 0
        let count = outputElements.count
        while index < count {
            let output = outputElements.lowerBound + index
            let (column, row) = output.quotientAndRemainder(dividingBy: rows)
            // Whole output rows, up to `tile` of them at once; else the rest of output row
            // `column` (or of the range).
            let wholeRows = row == 0 ? Swift.min((count - index) / rows, tile) : 0
            let (columnsNow, depth) = wholeRows > 0 ? (wholeRows, rows) : (1, Swift.min(rows - row, count - index))
            copyColumns(columnsNow, depth: depth, elementSize: elementSize,
                        from: source + row * rowStride + (column - firstColumn) * elementSize,
                        rowStride: rowStride, to: destination + index * elementSize)
            index += columnsNow * depth
        }
    }

    /// `columns` adjacent source columns, `depth` rows deep, as `columns` consecutive runs of
    /// `depth` elements at `target`.
    private static func copyColumns(_ columns: Int, depth: Int, elementSize: Int, from source: UnsafeRawPointer,
                                    rowStride: Int, to target: UnsafeMutableRawPointer) {
        switch elementSize {
        case 4: copyColumns(UInt32.self, columns, depth: depth, from: source, rowStride: rowStride, to: target)
        case 2: copyColumns(UInt16.self, columns, depth: depth, from: source, rowStride: rowStride, to: target)
        case 8: copyColumns(UInt64.self, columns, depth: depth, from: source, rowStride: rowStride, to: target)
        case 1: copyColumns(UInt8.self, columns, depth: depth, from: source, rowStride: rowStride, to: target)
        default:
            for j in 0..<columns {
                for k in 0..<depth {
                    (target + (j * depth + k) * elementSize).copyMemory(from: source + k * rowStride + j * elementSize,
                                                                       byteCount: elementSize)
                }
            }
        }
    }

    @inline(__always)
    private static func copyColumns<Element>(_: Element.Type, _ columns: Int, depth: Int, from source: UnsafeRawPointer,
                                             rowStride: Int, to target: UnsafeMutableRawPointer) {
        let size = MemoryLayout<Element>.size
        var k0 = 0
        if columns == tile {
            // A tile's source lines are a row stride apart, and a power-of-two stride puts
            // them all in one L1 set (16 lines, 12 ways: a miss on every read). So the tile is
            // first copied row by row into a small contiguous block, then written out from it.
            withUnsafeTemporaryAllocation(of: Element.self, capacity: tile * tile) { block in
                guard let block = block.baseAddress else { return }
                while k0 + tile <= depth {
                    for k in 0..<tile {
                        let line = source + (k0 + k) * rowStride
                        for j in 0..<tile { block[k * tile + j] = (line + j * size).loadUnaligned(as: Element.self) }
                    }
                    for j in 0..<tile {
                        let out = target + (j * depth + k0) * size
                        for k in 0..<tile { (out + k * size).storeBytes(of: block[k * tile + j], as: Element.self) }
                    }
                    k0 += tile
                }
            }
        }
        for k in k0..<depth {
            let line = source + k * rowStride
            for j in 0..<columns {
                (target + (j * depth + k) * size).storeBytes(of: (line + j * size).loadUnaligned(as: Element.self),
                                                             as: Element.self)
            }
        }
    }
}
