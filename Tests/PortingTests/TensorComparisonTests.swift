import Testing
import TensorIO
@testable import Porting

/// `diff` reads each pair of tensors in step, a block at a time.
@Suite("Tensor comparison over blocks")
struct TensorComparisonTests {
    static let count = 3 * TensorElementReader.blockElements + 1000

    static func source(_ tensors: [String: Tensor]) throws -> InMemorySource {
        let source = InMemorySource()
        for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) { try source.add(name, tensor) }
        return source
    }

    @Test("Differences past the first block are counted and placed; a streamed float64 side compares as its values")
    func acrossBlocks() throws {
        let values = (0..<Self.count).map { Float($0 % 1000) * 0.25 }
        var changed = values
        changed[700_000] += 1
        changed[Self.count - 1] = .nan
        let a = try Self.source(["w": Tensor(float32: values, shape: [Self.count])])
        // The other side computed slice by slice, in another dtype.
        let b = try Self.source(["w": Tensor(float32: changed, shape: [Self.count]).casting(to: .float64)])
        let comparison = try TensorComparison.compare(a, b, atol: 0.5, rtol: 0)
        let entry = try #require(comparison.entries.first)
        #expect(entry.status == .values && entry.mismatched == 2 && entry.firstMismatch == 700_000)
        #expect(entry.maxAbsDiff == 1 && entry.detail == "float32 vs float64")
        #expect(try TensorComparison.compare(a, a, atol: 0, rtol: 0).isEqual)
    }

    @Test("A tensor that fails while streamed is an error naming it, not a crash")
    func failureThrows() throws {
        let failing = TensorBytes(count: Self.count * 4) { () -> TensorBytes.Filler in
            var calls = 0
            return { (buffer) throws(CheckpointError) in
                calls += 1
                guard calls < 2 else { throw CheckpointError(.malformed, file: "b.h5", tensor: "w", "a corrupt chunk") }
                buffer.initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
        let a = try Self.source(["w": Tensor.zeros(.float32, shape: [Self.count])])
        let b = try Self.source(["w": Tensor(dtype: .float32, shape: [Self.count], bytes: failing)])
        let error = #expect(throws: CheckpointError.self) { try TensorComparison.compare(a, b, atol: 0, rtol: 0) }
        #expect(error?.file == "b.h5" && error?.tensor == "w")
    }
}
