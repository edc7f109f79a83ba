import Testing
@testable import TensorIO

/// `inspect --stats` on float32 takes a fast path; it must agree with the general one.
@Suite("float32 statistics")
struct Float32StatisticsTests {
    /// The statistics of `values` through the general path (as float64, which it widens to
    /// exactly) next to the float32 fast path's.
    static func bothPaths(_ values: [Float]) throws -> (fast: TensorStatistics, general: TensorStatistics) {
        let fast = try TensorStatistics(of: try Tensor(float32: values, shape: [values.count]))
        let widened = try TensorBytes(count: values.count * 8) { buffer in
            for (index, value) in values.enumerated() {
                buffer.storeBytes(of: Double(value).bitPattern.littleEndian, toByteOffset: index * 8, as: UInt64.self)
            }
        }
        let general = try TensorStatistics(of: try Tensor(dtype: .float64, shape: [values.count], bytes: widened))
        return (fast, general)
    }

    @Test("Counts, range, mean and std agree with the general path, with NaNs and infinities", arguments: [0, 1, 5, 1023, 1025, 70_001, 200_000])
    func agrees(count: Int) throws {
        var generator = SystemRandomNumberGenerator()
        var values = (0..<count).map { _ in Float.random(in: -3...5, using: &generator) + 1000 }
        if count > 10 {
            values[3] = .nan
            values[count - 1] = .infinity
            values[count / 2] = -.infinity
            values[count / 3] = Float(bitPattern: 0xffc0_0001)  // a negative NaN with a payload
        }
        let (fast, general) = try Self.bothPaths(values)
        #expect(fast.count == general.count && fast.nanCount == general.nanCount && fast.infCount == general.infCount)
        #expect(fast.min == general.min && fast.max == general.max)
        if let mean = general.mean, let std = general.std, let fastMean = fast.mean, let fastStd = fast.std {
            #expect(abs(fastMean - mean) <= 1e-12 * abs(mean))
            #expect(abs(fastStd - std) <= 1e-9 * std)
        } else {
            #expect(fast.mean == nil && fast.std == nil)
        }
    }

    @Test("Only non-finite values: counted, and no range, mean or std")
    func nothingFinite() throws {
        let (fast, _) = try Self.bothPaths([.nan, .infinity, -.infinity, .nan])
        #expect(fast.count == 4 && fast.nanCount == 2 && fast.infCount == 2)
        #expect(fast.min == nil && fast.max == nil && fast.mean == nil && fast.std == nil)
    }

    @Test("Unaligned data (as in a zip member) gives the same numbers")
    func unaligned() throws {
        let values: [Float] = (0..<5000).map { Float($0 % 97) - 48.5 }
        var bytes: [UInt8] = [0]
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        let storage = try TensorBytes(bytes)
        let shifted = try TensorBytes(count: values.count * 4) { buffer in
            storage.withUnsafeBytes { raw in buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[1...])) }
        }
        let aligned = try TensorStatistics(of: try Tensor(dtype: .float32, shape: [values.count], bytes: shifted))
        let (_, general) = try Self.bothPaths(values)
        #expect(aligned.min == general.min && aligned.max == general.max && aligned.count == general.count)
    }
}

/// `inspect --stats` and `diff` read tensors a slice at a time; the numbers must be those of
/// the tensor in memory, whatever its size or form.
@Suite("Statistics over slices")
struct StreamedStatisticsTests {
    /// Over three 4 MB slices, with a NaN and an infinity past the first.
    static let values: [Float] = (0..<(3 * (TensorBytes.sliceBytes / 4) + 12_345)).map { (index: Int) -> Float in
        if index == 2_000_000 { return .nan }
        if index == 3_000_000 { return .infinity }
        return Float(index % 9973) * 0.37 + 1000
    }

    @Test("A streamed tensor gives exactly the statistics of the same bytes in memory (float32 and the general path)")
    func streamedEqualsStored() throws {
        let stored = try Tensor(float32: Self.values, shape: [Self.values.count])
        // Cast there and back: a tensor computed slice by slice with the same bytes.
        let streamed = try stored.casting(to: .float64).casting(to: .float32)
        #expect(streamed.bytes.isStreamed)
        let expected = try TensorStatistics(of: stored)
        #expect(try TensorStatistics(of: streamed) == expected)
        #expect(expected.nanCount == 1 && expected.infCount == 1 && expected.count == Self.values.count)
        let wide = try stored.casting(to: .float64)
        #expect(try TensorStatistics(of: wide) == TensorStatistics(of: wide.materialised()))
    }

    @Test("A streamed tensor that fails part way throws its error, for float32 and the general path")
    func failureThrows() throws {
        for dtype in [DType.float32, .float16] {
            let count = 2 * TensorBytes.sliceBytes
            let failing = TensorBytes(count: count) { () -> TensorBytes.Filler in
                var calls = 0
                return { (buffer) throws(CheckpointError) in
                    calls += 1
                    guard calls < 2 else { throw CheckpointError(.malformed, file: "f.h5", tensor: "w", "a corrupt chunk") }
                    buffer.initializeMemory(as: UInt8.self, repeating: 0)
                }
            }
            let tensor = try Tensor(dtype: dtype, shape: [count / dtype.byteCount], bytes: failing)
            let error = #expect(throws: CheckpointError.self) { try TensorStatistics(of: tensor) }
            #expect(error?.tensor == "w" && error?.reason == "a corrupt chunk")
        }
    }
}
