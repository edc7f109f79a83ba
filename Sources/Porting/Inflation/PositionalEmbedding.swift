import TensorIO

/// Positional-embedding arithmetic: tiling over time and scipy's linear zoom.
enum PositionalEmbedding {
    /// The 1-D linear interpolation weights `scipy.ndimage.zoom(..., order=1)` uses to take
    /// `inputLength` samples to `outputLength`: corner-aligned, output `i` samples input
    /// coordinate `i · (n_in − 1) / (n_out − 1)`; a single output takes the first input.
    static func zoomWeights(from inputLength: Int, to outputLength: Int) -> [[(index: Int, weight: Double)]] {
        (0..<outputLength).map { i in
            guard outputLength > 1, inputLength > 1 else { return [(0, 1)] }
            let x = Double(i) * Double(inputLength - 1) / Double(outputLength - 1)
            let low = min(Int(x.rounded(.down)), inputLength - 1)
            let fraction = x - Double(low)
            if fraction == 0 || low == inputLength - 1 { return [(low, 1)] }
            return [(low, 1 - fraction), (low + 1, fraction)]
        }
    }

    /// A grid `[rows, columns, D]` (given as row-major values) resized to `[newRows,
    /// newColumns, D]` by separable linear interpolation, as `scipy.ndimage.zoom(grid,
    /// (newRows/rows, newColumns/columns, 1), order=1)` does.
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
                        let weight = rowTerm.weight * columnTerm.weight
                        let source = (rowTerm.index * columns + columnTerm.index) * width
                        for d in 0..<width { output[base + d] += weight * values[source + d] }
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
