/// The transpose of a row-major matrix, `[rows, columns]` → `[columns, rows]`, for any range of
/// output elements, in tiles of 4 source rows by `tile` columns, each cut into 4 x 4 blocks
/// transposed in vector registers. Element by element (a cache miss, often a TLB miss, per element
/// read down a column, and a `memmove` call per element) this was most of an HF export's CPU.
enum MatrixTranspose {
    /// Output rows made together: 16 four-byte elements are one 64-byte cache line of a source row.
    static let tile = 16

    /// Writes output elements `outputElements` (row-major in `[columns, rows]`) to `destination`.
    /// Source element `(row, column)` is at `source + row * rowStride + (column - firstColumn) *
    /// elementSize`, for the columns the range needs (``StripTranspose`` passes a strip of them).
    ///
    /// A range of at least ``parallelBytes`` is cut in two halves made on both cores: the
    /// transposes of an HF export are CPU work between the reads and the writes, which are the
    /// kernel's copies, so a second core shortens them directly.
    static func transpose(
        from source: UnsafeRawPointer, rows: Int, rowStride: Int, firstColumn: Int, elementSize: Int,
        outputElements: Range<Int>, into destination: UnsafeMutableRawPointer
    ) {
        guard outputElements.count * elementSize >= parallelBytes else {
            transposeOnOneCore(from: source, rows: rows, rowStride: rowStride, firstColumn: firstColumn,
                               elementSize: elementSize, outputElements: outputElements, into: destination)
            return
        }
        let middle = outputElements.lowerBound + outputElements.count / 2
        let halves = [outputElements.lowerBound..<middle, middle..<outputElements.upperBound]
        _ = Parallel.map(parts: halves.count) { part in
            transposeOnOneCore(from: source, rows: rows, rowStride: rowStride, firstColumn: firstColumn, elementSize: elementSize,
                               outputElements: halves[part],
                               into: destination + (halves[part].lowerBound - outputElements.lowerBound) * elementSize)
        }
    }

    /// The size of output from which ``transpose(from:rows:rowStride:firstColumn:elementSize:outputElements:into:)``
    /// uses both cores: below it a transpose takes well under a millisecond.
    static let parallelBytes = 2 << 20

    private static func transposeOnOneCore(
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
    private static func copyColumns<Element: SIMDScalar>(_: Element.Type, _ columns: Int, depth: Int, from source: UnsafeRawPointer,
                                                         rowStride: Int, to target: UnsafeMutableRawPointer) {
        let size = MemoryLayout<Element>.size
        var k0 = 0
        if columns == tile {
            // Four source rows at a time, in 4 x 4 blocks transposed in vector registers: each
            // source line is read once, each store writes four elements of an output row, and
            // only four lines a row stride apart are in use at once (a power-of-two stride puts
            // them all in one L1 set). Element by element through a staging block this ran at
            // ~1 GB/s, a quarter of the speed.
            let outputStride = depth * size
            while k0 + 4 <= depth {
                let first = source + k0 * rowStride
                var j = 0
                while j < tile {
                    let at = j * size
                    let (c0, c1, c2, c3) = transposed(
                        first.loadUnaligned(fromByteOffset: at, as: SIMD4<Element>.self),
                        (first + rowStride).loadUnaligned(fromByteOffset: at, as: SIMD4<Element>.self),
                        (first + 2 * rowStride).loadUnaligned(fromByteOffset: at, as: SIMD4<Element>.self),
                        (first + 3 * rowStride).loadUnaligned(fromByteOffset: at, as: SIMD4<Element>.self))
                    let out = target + j * outputStride + k0 * size
                    out.storeBytes(of: c0, as: SIMD4<Element>.self)
                    (out + outputStride).storeBytes(of: c1, as: SIMD4<Element>.self)
                    (out + 2 * outputStride).storeBytes(of: c2, as: SIMD4<Element>.self)
                    (out + 3 * outputStride).storeBytes(of: c3, as: SIMD4<Element>.self)
                    j += 4
                }
                k0 += 4
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

    /// The columns of the 4 x 4 block whose rows are `a`, `b`, `c`, `d` (shuffles in registers).
    @inline(__always)
    private static func transposed<Element: SIMDScalar>(
        _ a: SIMD4<Element>, _ b: SIMD4<Element>, _ c: SIMD4<Element>, _ d: SIMD4<Element>
    ) -> (SIMD4<Element>, SIMD4<Element>, SIMD4<Element>, SIMD4<Element>) {
        (SIMD4(a[0], b[0], c[0], d[0]), SIMD4(a[1], b[1], c[1], d[1]),
         SIMD4(a[2], b[2], c[2], d[2]), SIMD4(a[3], b[3], c[3], d[3]))
    }
}
