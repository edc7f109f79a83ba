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

    /// A grid `[rows, columns, D]` (given as row-major values) resized to `[newRows,
    /// newColumns, D]` by linear interpolation with exactly the arithmetic of
    /// `scipy.ndimage.zoom(grid, (newRows/rows, newColumns/columns, 1), order=1)`: in float64,
    /// each term `(value × rowWeight) × columnWeight`, summed from +0 over the row taps then the
    /// column taps; the caller rounds to the output dtype once, as scipy's cast does.
    static func resize(_ values: [Double], rows: Int, columns: Int, width: Int,
                       toRows newRows: Int, toColumns newColumns: Int) -> [Double] {
        let rowWeights = zoomWeights(from: rows, to: newRows)
        let columnWeights = zoomWeights(from: columns, to: newColumns)
        var output = [Double](repeating: 0, count: newRows * newColumns * width)
        for (r, rowTerms) in rowWeights.enumerated() {
            for (c, columnTerms) in columnWeights.enumerated() {
                let base = (r * newColumns + c) * width
                for rowTerm in rowTerms {
                    for columnTerm in columnTerms {
                        let source = (rowTerm.index * columns + columnTerm.index) * width
                        for d in 0..<width {
                            output[base + d] += values[source + d] * rowTerm.weight * columnTerm.weight
                        }
                    }
                }
            }
        }
        return output
    }
}

extension Tensor {
    /// A float64 tensor from values, for intermediate results rounded once into the output dtype.
    init(float64 values: [Double], shape: [Int]) throws(CheckpointError) {
        let data = try TensorBytes(count: values.count * 8) { buffer in
            for (index, value) in values.enumerated() {
                buffer.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 8, as: UInt64.self)
            }
        }
        try self.init(dtype: .float64, shape: shape, bytes: data)
    }
}
