import Testing
@testable import Porting
import TensorIO

/// `diff`'s element-wise comparison reads the two tensors a slice at a time; the counts, the
/// largest differences and the first mismatch must be those of comparing them whole.
@Suite("Tensor comparison, slice by slice")
struct TensorComparisonTests {
    /// A float32 vector over three of the comparison's slices.
    static let count = 3 * (TensorBytes.sliceBytes / 8) + 12_345

    @Test("Differences in different slices, NaNs and a dtype change are counted as a whole comparison counts them")
    func slicesAddUp() throws {
        var a = (0..<Self.count).map { Float($0 % 1000) / 7 }
        a[17] = .nan
        var b = a
        // Outside any tolerance: one in the first slice, two in the last; within 1e-3: one in the second.
        let changed = [(5, Float(100)), (Self.count - 3, Float(-2)), (Self.count - 1, Float(9)), (TensorBytes.sliceBytes / 8 + 7, a[TensorBytes.sliceBytes / 8 + 7] + 5e-4)]
        for (index, value) in changed { b[index] = value }
        let left = try Tensor(float32: a, shape: [Self.count])
        let right = try Tensor(float32: b, shape: [Self.count]).casting(to: .float64)

        let exact = try TensorComparison.compareValues(left, right, atol: 0, rtol: 0)
        #expect(exact.mismatched == 4)
        #expect(exact.firstMismatch == 5)
        #expect(exact.maxAbs == (Double(a[5]) - 100).magnitude)

        let tolerant = try TensorComparison.compareValues(left, right, atol: 1e-3, rtol: 0)
        #expect(tolerant.mismatched == 3)
        #expect(tolerant.firstMismatch == 5)

        // The whole-array definition, element by element.
        let x = left.doubleValues, y = right.doubleValues
        let mismatches = x.indices.filter { !(x[$0].isNaN && y[$0].isNaN) && !((x[$0] - y[$0]).magnitude <= 1e-3) }
        #expect(mismatches.count == tolerant.mismatched && mismatches.first == tolerant.firstMismatch)
    }
}
