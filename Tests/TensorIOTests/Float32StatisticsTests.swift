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

    @Test("Counts, range, mean and std agree with the general path, with NaNs and infinities", arguments: [0, 1, 5, 1023, 1025, 70_001, 200_000, 2 * TensorBytes.sliceBytes / 4 + 777])
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

    @Test("A tensor computed slice by slice has the statistics of the same bytes held in memory, in both paths")
    func streamedEqualsStored() throws {
        let count = 2 * TensorBytes.sliceBytes / 4 + 333  // three slices of float32
        let values = (0..<count).map { Float($0 % 1013) / 3 - 100 }
        for dtype in [DType.float32, .float64] {
            let stored = try Tensor(float32: values, shape: [count]).casting(to: dtype)
            let bytes = stored.bytes
            let streamed = TensorBytes(count: bytes.count) { () throws(CheckpointError) -> TensorBytes.Filler in
                let reader = bytes.reader()
                return { (buffer) throws(CheckpointError) in try reader.read(into: buffer) }
            }
            let fromStream = try TensorStatistics(of: try Tensor(dtype: dtype, shape: [count], bytes: streamed))
            #expect(try fromStream == TensorStatistics(of: stored), "\(dtype)")
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
