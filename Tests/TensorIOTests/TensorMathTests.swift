import Testing
@testable import TensorIO

@Suite("Casting and statistics")
struct TensorMathTests {
    @Test("Casting float32 to bfloat16 and float16 rounds each value once")
    func casting() throws {
        let tensor = try Tensor(float32: [1, Float(bitPattern: 0x3f80_8001), -2.5, .infinity, 70_000], shape: [5])
        let bfloat = try tensor.casting(to: .bfloat16)
        #expect(bfloat.dtype == .bfloat16 && bfloat.shape == [5])
        #expect(bfloat.doubleValues == [1, 1.0078125, -2.5, .infinity, 70_144])
        let half = try tensor.casting(to: .float16)
        #expect(half.doubleValues == [1, 1.00390625, -2.5, .infinity, .infinity])
        #expect(try half.casting(to: .float64).doubleValues == half.doubleValues)
    }

    @Test("Integer tensors are never cast")
    func integersPassThrough() throws {
        let tensor = try Tensor(dtype: .int32, shape: [2], bytes: try TensorBytes([1, 0, 0, 0, 2, 0, 0, 0]))
        #expect(try tensor.casting(to: .float16).dtype == .int32)
    }

    @Test("Statistics are over finite values; NaN and Inf are counted")
    func statistics() throws {
        let stats = try TensorStatistics(of: try Tensor(float32: [1, 2, 3, 4, .nan, .infinity, -.infinity], shape: [7]))
        #expect(stats.count == 7 && stats.nanCount == 1 && stats.infCount == 2)
        #expect(stats.min == 1 && stats.max == 4 && stats.mean == 2.5)
        #expect(stats.std == (1.25 as Double).squareRoot())
        let empty = try TensorStatistics(of: try Tensor(float32: [.nan], shape: [1]))
        #expect(empty.min == nil && empty.mean == nil && empty.nanCount == 1)
    }
}
