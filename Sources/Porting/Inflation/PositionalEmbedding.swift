import TensorIO

/// Positional-embedding arithmetic: tiling over time and scipy's linear zoom.
enum PositionalEmbedding {
    /// The 1-D linear interpolation weights `scipy.ndimage.zoom(..., order=1)` uses to take
    /// `inputLength` samples to `outputLength`: corner-aligned, output `i` samples input
    /// coordinate `i · ((n_in − 1) / (n_out − 1))`, the ratio divided first as scipy does (the
    /// other order differs by an ulp in some coordinates); a single output takes the first input.
    /// The weights are scipy's too: `1 − t` for the lower sample, and `1 − (1 − t)`, not `t`,
    /// for the upper one (its spline weights are made to sum to exactly 1).
    static func zoomWeights(from inputLength: Int, to outputLength: Int) -> [[(index: Int, weight: Double)]] {
        let zoom = outputLength > 1 ? Double(inputLength - 1) / Double(outputLength - 1) : 1
        return (0..<outputLength).map { i in
            let x = Double(i) * zoom
            let low = Int(x.rounded(.down))
            let lower = 1 - (x - Double(low))
            // scipy also adds the sample past the last one times a zero weight: that term
            // cannot change a sum that starts at +0, so it is left out.
            guard low + 1 < inputLength else { return [(low, lower)] }
            return [(low, lower), (low + 1, 1 - lower)]
        }
    }

    /// The grid held in rows `first ..< first + rows·columns` of a table `[1, N, D]` (any
    /// floating-point dtype), resized to `newRows × newColumns` positions, as a float32 tensor
    /// `[1, newRows·newColumns, D]`, with exactly the arithmetic of
    /// `scipy.ndimage.zoom(grid, (newRows/rows, newColumns/columns, 1), order=1).astype(float32)`:
    /// in float64, each term `(value × rowWeight) × columnWeight`, summed from +0 over the row
    /// taps then the column taps, rounded to float32 once.
    ///
    /// The result is computed one grid row at a time as it is written, from one in-order pass
    /// over the table that holds only the (at most two) source grid rows the current output row
    /// lies between: memory is a few grid rows whatever the table's size or the new grid's.
    static func resized(_ table: Tensor, first: Int, rows: Int, columns: Int,
                        toRows newRows: Int, toColumns newColumns: Int) throws(CheckpointError) -> Tensor {
        guard table.dtype.isFloatingPoint, table.shape.count == 3, table.shape[0] == 1, rows > 0, columns > 0,
              newRows > 0, newColumns > 0, first >= 0, first + rows * columns <= table.shape[1] else {
            throw CheckpointError(.invalidRequest, file: "<memory>",
                "cannot resize a \(rows)x\(columns) grid from row \(first) of \(table.dtype.rawValue) \(Shape.describe(table.shape))")
        }
        let width = table.shape[2]
        let wide = try table.casting(to: .float64)  // exact: every floating dtype widens to float64
        let rowWeights = zoomWeights(from: rows, to: newRows)
        let columnWeights = zoomWeights(from: columns, to: newColumns)
        let outputRowBytes = newColumns * width * 4
        let bytes = TensorBytes(count: newRows * outputRowBytes) { () throws(CheckpointError) -> TensorBytes.Filler in
            let window = try GridRowWindow(wide.bytes.reader(), skipping: first * width, rowElements: columns * width)
            var outputRow = [UInt32](repeating: 0, count: newColumns * width)
            var nextRow = 0
            var offset = outputRowBytes
            return { (destination) throws(CheckpointError) in
                guard let to = destination.baseAddress else { return }
                var filled = 0
                while filled < destination.count {
                    if offset == outputRowBytes {
                        let rowTerms = rowWeights[nextRow]
                        try window.hold(rowTerms[0].index...rowTerms[rowTerms.count - 1].index)
                        let sourceRows = rowTerms.map { window.row($0.index) }
                        for (c, columnTerms) in columnWeights.enumerated() {
                            for d in 0..<width {
                                var sum = 0.0
                                for (rowTerm, sourceRow) in zip(rowTerms, sourceRows) {
                                    for columnTerm in columnTerms {
                                        sum += sourceRow[columnTerm.index * width + d] * rowTerm.weight * columnTerm.weight
                                    }
                                }
                                outputRow[c * width + d] = Float(sum).bitPattern.littleEndian
                            }
                        }
                        nextRow += 1
                        offset = 0
                    }
                    let count = min(outputRowBytes - offset, destination.count - filled)
                    outputRow.withUnsafeBytes { row in
                        guard let from = row.baseAddress else { return }
                        (to + filled).copyMemory(from: from + offset, byteCount: count)
                    }
                    filled += count
                    offset += count
                }
            }
        }
        return try Tensor(dtype: .float32, shape: [1, newRows * newColumns, width], bytes: bytes)
    }
}

/// The source grid rows a resize is working between, read in order from a float64 table.
///
/// Output rows ask for non-decreasing source rows, so rows below the ones asked for are
/// dropped and rows above are read on demand: at most two rows are held at a time.
private final class GridRowWindow {
    private let reader: TensorBytesReader
    private let rowElements: Int
    private var held: [(index: Int, values: [Double])] = []
    private var nextIndex = 0

    init(_ reader: TensorBytesReader, skipping elements: Int, rowElements: Int) throws(CheckpointError) {
        self.reader = reader
        self.rowElements = rowElements
        var skipped = 0
        while skipped < elements * 8 {
            let piece = try reader.next(upTo: elements * 8 - skipped)
            guard !piece.isEmpty else { throw CheckpointError(.malformed, file: "<memory>", "a position table ended early") }
            skipped += piece.count
        }
    }

    /// Makes rows `indices` available to ``row(_:)``, dropping the rows below them.
    func hold(_ indices: ClosedRange<Int>) throws(CheckpointError) {
        held.removeAll { $0.index < indices.lowerBound }
        while nextIndex <= indices.upperBound {
            var values = [Double](repeating: 0, count: rowElements)
            var filled = 0
            while filled < rowElements {
                let piece = try reader.next(upTo: (rowElements - filled) * 8)
                guard let base = piece.baseAddress, !piece.isEmpty else {
                    throw CheckpointError(.malformed, file: "<memory>", "a position table ended early")
                }
                for i in 0..<(piece.count / 8) {
                    values[filled + i] = Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
                }
                filled += piece.count / 8
            }
            if nextIndex >= indices.lowerBound { held.append((nextIndex, values)) }
            nextIndex += 1
        }
    }

    /// Row `index`, which the last ``hold(_:)`` covered.
    func row(_ index: Int) -> [Double] {
        held.first { $0.index == index }?.values ?? []
    }
}
