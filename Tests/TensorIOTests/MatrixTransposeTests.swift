import Testing
@testable import TensorIO

/// The tiled transpose against index arithmetic, for every element size it specialises, shapes
/// that are and are not multiples of the tile, and output ranges that start and end mid-row.
@Suite("Tiled matrix transpose")
struct MatrixTransposeTests {
    /// Bytes 0, 1, 2, … (mod 251, so no element repeats its neighbour's pattern).
    func source(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251) } }

    func reference(_ input: [UInt8], rows: Int, columns: Int, elementSize: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: input.count)
        for row in 0..<rows {
            for column in 0..<columns {
                for byte in 0..<elementSize {
                    output[(column * rows + row) * elementSize + byte] = input[(row * columns + column) * elementSize + byte]
                }
            }
        }
        return output
    }

    func tiled(_ input: [UInt8], rows: Int, columns: Int, elementSize: Int, range: Range<Int>) -> [UInt8] {
        var output = [UInt8](repeating: 0xEE, count: range.count * elementSize)
        input.withUnsafeBytes { from in
            output.withUnsafeMutableBytes { to in
                MatrixTranspose.transpose(from: from.baseAddress!, rows: rows, rowStride: columns * elementSize,
                                          firstColumn: 0, elementSize: elementSize, outputElements: range,
                                          into: to.baseAddress!)
            }
        }
        return output
    }

    @Test("Whole matrices equal index arithmetic", arguments: [1, 2, 3, 4, 8], [(1, 1), (1, 40), (40, 1), (16, 16), (33, 47), (64, 130)])
    func whole(elementSize: Int, shape: (Int, Int)) {
        let (rows, columns) = shape
        let input = source(rows * columns * elementSize)
        #expect(tiled(input, rows: rows, columns: columns, elementSize: elementSize, range: 0..<(rows * columns))
                == reference(input, rows: rows, columns: columns, elementSize: elementSize))
    }

    @Test("Output ranges that start and end inside rows give the same elements", arguments: [2, 4])
    func ranges(elementSize: Int) {
        let (rows, columns) = (37, 70)
        let input = source(rows * columns * elementSize)
        let expected = reference(input, rows: rows, columns: columns, elementSize: elementSize)
        for range in [0..<1, 5..<36, 36..<38, 3..<(rows * 20 + 5), (rows * 17)..<(rows * 40), 1000..<(rows * columns)] {
            let slice = Array(expected[(range.lowerBound * elementSize)..<(range.upperBound * elementSize)])
            #expect(tiled(input, rows: rows, columns: columns, elementSize: elementSize, range: range) == slice, "range \(range)")
        }
    }

    @Test("A rotation of a rank-3 tensor's axes equals numpy's transpose")
    func rotation() {
        // np.arange(24).reshape(2, 3, 4).transpose(1, 2, 0).ravel()
        let values = (0..<24).map { Int32($0) }
        var output = [Int32](repeating: -1, count: 24)
        values.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                Permutation.permute(source, shape: [2, 3, 4], axes: [1, 2, 0], elementSize: 4, into: destination)
            }
        }
        #expect(output == [0, 12, 1, 13, 2, 14, 3, 15, 4, 16, 5, 17, 6, 18, 7, 19, 8, 20, 9, 21, 10, 22, 11, 23])
    }
}
