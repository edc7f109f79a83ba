import Testing
@testable import TensorIO

@Suite("Axis permutation")
struct PermutationTests {
    func permute(_ values: [Int32], shape: [Int], axes: [Int]) -> [Int32] {
        var output = [Int32](repeating: -1, count: values.count)
        values.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                Permutation.permute(source, shape: shape, axes: axes, elementSize: 4, into: destination)
            }
        }
        return output
    }

    @Test("Transposes a matrix")
    func transpose() {
        #expect(permute([0, 1, 2, 3, 4, 5], shape: [2, 3], axes: [1, 0]) == [0, 3, 1, 4, 2, 5])
    }

    @Test("Matches numpy's transpose on a rank-4 tensor")
    func rank4() {
        // np.arange(24).reshape(2, 3, 2, 2).transpose(3, 2, 0, 1).ravel()
        let expected: [Int32] = [0, 4, 8, 12, 16, 20, 2, 6, 10, 14, 18, 22, 1, 5, 9, 13, 17, 21, 3, 7, 11, 15, 19, 23]
        #expect(permute(Array(0..<24), shape: [2, 3, 2, 2], axes: [3, 2, 0, 1]) == expected)
    }

    @Test("The identity permutation and empty tensors are no-ops")
    func trivial() {
        #expect(permute(Array(0..<6), shape: [2, 3], axes: [0, 1]) == Array(0..<6))
        #expect(permute([], shape: [0, 3], axes: [1, 0]) == [])
    }
}
