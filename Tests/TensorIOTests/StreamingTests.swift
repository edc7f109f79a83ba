import Testing
import TubeletTestSupport
@testable import TensorIO

/// Tensors computed and written a slice at a time give the bytes the whole-tensor arithmetic
/// gives, whatever the slice boundaries.
@Suite("Streaming in slices")
struct StreamingTests {
    /// A float32 matrix with distinct values, large enough to span several slices.
    func matrix(rows: Int, columns: Int) throws -> Tensor {
        try Tensor(float32: (0..<(rows * columns)).map { Float($0) }, shape: [rows, columns])
    }

    /// The transpose by index arithmetic, element by element: the reference for the tiled one.
    func transposed(_ values: [UInt8], rows: Int, columns: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: values.count)
        for row in 0..<rows {
            for column in 0..<columns {
                for byte in 0..<4 {
                    output[(column * rows + row) * 4 + byte] = values[(row * columns + column) * 4 + byte]
                }
            }
        }
        return output
    }


    @Test("A transpose of a mapped matrix read in column strips equals the in-memory transpose",
          arguments: [(3000, 1500), (1500, 2000)])
    func stripTranspose(rows: Int, columns: Int) throws {
        // 3000 x 1500 float32 = 18 MB: above the strip size, so several strips and slices;
        // 1500 x 2000 = 12 MB: one strip of every column, read in one call.
        let directory = TestDirectory()
        let path = directory.file("m.safetensors")
        let source = InMemorySource()
        try source.add("m", matrix(rows: rows, columns: columns))
        try Checkpoint.write(source, to: path)
        let mapped = try Checkpoint.open(path).read("m")
        let result = try mapped.permuted([1, 0])
        #expect(result.bytes.isStreamed)
        #expect(result.shape == [columns, rows])
        #expect(result.bytes.array == transposed(mapped.bytes.array, rows: rows, columns: columns))
        // A second pass over the same streamed bytes gives them again.
        #expect(try result.bytes.materialised().array == result.bytes.array)
    }

    @Test("A slice that is one run of a mapped tensor's bytes borrows the file; large other slices stream; both equal numpy's slicing")
    func slices() throws {
        let directory = TestDirectory()
        let source = InMemorySource()
        // Three blocks of a stacked [3, 1200, 800] float32 kernel (11.5 MB), as big_vision's
        // scanned layout stores them.
        let stacked = try Tensor(float32: (0..<(3 * 1200 * 800)).map { Float($0 % 65_521) }, shape: [3, 1200, 800])
        try source.add("stacked", stacked)
        try Checkpoint.write(source, to: directory.file("s.safetensors"))
        let mapped = try Checkpoint.open(directory.file("s.safetensors")).read("stacked")
        let values = stacked.bytes.array
        let block = 1200 * 800 * 4
        let second = try mapped.slice(axis: 0, 1..<2)
        #expect(second.shape == [1, 1200, 800])
        #expect(second.bytes.borrowedSlice(0..<1) != nil, "the block borrows the mapped file")
        #expect(second.bytes.array == Array(values[block..<(2 * block)]))
        // Rows 100..<1100 of every block: three runs, 9.6 MB, computed as they are read.
        let rows = try mapped.slice(axis: 1, 100..<1100)
        #expect(rows.shape == [3, 1000, 800])
        #expect(rows.bytes.isStreamed)
        var expected: [UInt8] = []
        for b in 0..<3 { expected += values[(b * block + 100 * 3200)..<(b * block + 1100 * 3200)] }
        #expect(rows.bytes.array == expected)
        #expect(try rows.bytes.materialised().array == expected)
        // The same from memory, and a small slice, copied at once.
        #expect(try stacked.slice(axis: 1, 100..<1100).bytes.array == expected)
        let small = try stacked.slice(axis: 2, 10..<12)
        #expect(!small.bytes.isStreamed)
        var columns: [UInt8] = []
        for r in 0..<(3 * 1200) { columns += values[(r * 3200 + 40)..<(r * 3200 + 48)] }
        #expect(small.bytes.array == columns)
    }

    @Test("Permutations, joins and casts computed in slices equal the arithmetic on whole tensors")
    func elementwise() throws {
        let a = try matrix(rows: 1100, columns: 1000)  // 4.4 MB: the slice boundary falls inside a row
        let b = try matrix(rows: 100, columns: 1000)
        let joined = try Tensor.concatenate([a, b, a], axis: 0)
        #expect(joined.bytes.array == a.bytes.array + b.bytes.array + a.bytes.array)
        let columns = try Tensor.concatenate([b, b], axis: 1)
        let row = { (r: Int) in Array(b.bytes.array[(r * 4000)..<((r + 1) * 4000)]) }
        #expect(columns.bytes.array == (0..<100).flatMap { row($0) + row($0) })
        let permuted = try a.permuted([1, 0])
        #expect(permuted.bytes.array == transposed(a.bytes.array, rows: 1100, columns: 1000))
        // A large computed (streamed) input of a permutation (8.8 MB): picked from passes over it.
        let computed = try Tensor.concatenate([a, a], axis: 0).reshaped([22, 100, 1000])
        #expect(computed.bytes.count >= TensorBytesReader.releaseThreshold)
        let rotated = try computed.permuted([2, 0, 1])
        let materialised = try Tensor(dtype: .float32, shape: [22, 100, 1000], bytes: computed.bytes.materialised())
        #expect(rotated.bytes.array == (try materialised.permuted([2, 0, 1])).bytes.array)
        #expect(try computed.permuted([1, 2, 0]).bytes.array == (try materialised.permuted([1, 2, 0])).bytes.array)
        let wide = try a.casting(to: .float64)
        #expect(wide.doubleValues == a.doubleValues)
        let back = try wide.casting(to: .float32)
        #expect(back.bytes.array == a.bytes.array)
        let scaled = try a.mappingToFloat64 { index, value in value * Double(index % 3) }.casting(to: .float32)
        #expect(scaled.doubleValues == a.doubleValues.enumerated().map { Double(Float($1 * Double($0 % 3))) })
        #expect(try Tensor.zeros(.float32, shape: [1100, 1000]).isAllZeroBytes)
        #expect(!a.isAllZeroBytes)
    }

    @Test("Hyperslabs cover a tensor in byte order, none larger than the limit")
    func hyperslabs() {
        for (shape, limit) in [([3, 5, 7], 40), ([1, 257, 6], 100), ([10, 4], 16), ([2, 3], 1000), ([4, 1, 3], 4)] {
            var covered: [Int] = []
            let strides = shape.indices.map { shape[($0 + 1)...].reduce(1, *) }
            for slab in HDF5Hyperslabs(shape: shape, elementSize: 4, maxBytes: limit) {
                #expect(slab.byteCount <= max(limit, 4))
                #expect(slab.byteCount == slab.count.reduce(4, *))
                // The slab's elements, in C order, are consecutive.
                let first = zip(slab.start, strides).reduce(0) { $0 + $1.0 * $1.1 }
                covered += Array(first..<(first + slab.byteCount / 4))
            }
            #expect(covered == Array(0..<shape.reduce(1, *)), "shape \(shape), limit \(limit)")
        }
    }
}
