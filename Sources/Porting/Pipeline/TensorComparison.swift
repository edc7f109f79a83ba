import TensorIO

/// The differences between two sources, tensor by tensor, read one pair at a time.
///
/// Two values match when |a - b| <= atol + rtol * |b| (numpy's allclose; NaN matches NaN).
/// Encoded, one entry per tensor in both: `{name, status: equal|values|shape|dtype, detail,
/// max_abs_diff, max_rel_diff, mismatched (count of elements outside tolerance),
/// first_mismatch (flat index)}`.
public struct TensorComparison: Encodable, Sendable {
    /// How a tensor in both sources compares.
    public enum Status: String, Encodable, Sendable {
        case equal
        /// Some values are outside the tolerance.
        case values
        case shape
        /// Equal values in different dtypes, with no tolerance.
        case dtype
    }

    public struct Entry: Encodable, Sendable {
        public var name: String
        public var status: Status
        /// The shapes or dtypes that differ, for people.
        public var detail: String?
        public var maxAbsDiff: Double?
        public var maxRelDiff: Double?
        public var mismatched: Int?
        public var firstMismatch: Int?

        enum CodingKeys: String, CodingKey {
            case name, status, detail
            case maxAbsDiff = "max_abs_diff", maxRelDiff = "max_rel_diff", mismatched
            case firstMismatch = "first_mismatch"
        }
    }

    public var atol: Double
    public var rtol: Double
    public var onlyInFirst: [String]
    public var onlyInSecond: [String]
    public var entries: [Entry]

    public var isEqual: Bool { onlyInFirst.isEmpty && onlyInSecond.isEmpty && entries.allSatisfy { $0.status == .equal } }

    /// The element-wise comparison of two tensors of one shape, read side by side a slice at
    /// a time (as `Double`s, whatever their dtypes), so memory stays at a few slices however
    /// large the tensors: comparing them whole as `[Double]` took 16 times a float32 tensor's
    /// size, 9.7 GB for a pair of ViT-22B MLP kernels.
    static func compareValues(_ a: Tensor, _ b: Tensor, atol: Double, rtol: Double) throws(CheckpointError)
        -> (maxAbs: Double, maxRel: Double, mismatched: Int, firstMismatch: Int?) {
        let count = min(a.elementCount, b.elementCount)
        let step = TensorBytes.sliceBytes / 8  // elements per slice: 4 MB of the widest dtype
        let readerA = a.bytes.reader(), readerB = b.bytes.reader()
        let sliceA = UnsafeMutableRawBufferPointer.allocate(byteCount: step * a.dtype.byteCount, alignment: 64)
        let sliceB = UnsafeMutableRawBufferPointer.allocate(byteCount: step * b.dtype.byteCount, alignment: 64)
        defer {
            sliceA.deallocate()
            sliceB.deallocate()
        }
        var left: [Double] = []
        left.reserveCapacity(step)
        var maxAbs = 0.0, maxRel = 0.0, mismatched = 0
        var firstMismatch: Int?
        var start = 0
        while start < count {
            let n = min(step, count - start)
            let bytesA = UnsafeMutableRawBufferPointer(rebasing: sliceA[..<(n * a.dtype.byteCount)])
            let bytesB = UnsafeMutableRawBufferPointer(rebasing: sliceB[..<(n * b.dtype.byteCount)])
            try readerA.read(into: bytesA)
            try readerB.read(into: bytesB)
            left.removeAll(keepingCapacity: true)
            Tensor.forEachElement(in: UnsafeRawBufferPointer(bytesA), dtype: a.dtype) { left.append($0) }
            var offset = 0
            Tensor.forEachElement(in: UnsafeRawBufferPointer(bytesB), dtype: b.dtype) { y in
                let x = left[offset]
                defer { offset += 1 }
                if x.isNaN && y.isNaN { return }
                if x == y { return }
                let difference = (x - y).magnitude
                let relative = y == 0 ? Double.infinity : difference / y.magnitude
                if !difference.isNaN {
                    maxAbs = max(maxAbs, difference)
                    maxRel = max(maxRel, relative)
                }
                if !(difference <= atol + rtol * y.magnitude) {
                    mismatched += 1
                    if firstMismatch == nil { firstMismatch = start + offset }
                }
            }
            start += n
        }
        return (maxAbs, maxRel, mismatched, firstMismatch)
    }

    public static func compare(_ a: any TensorSource, _ b: any TensorSource, atol: Double, rtol: Double) throws(CheckpointError) -> TensorComparison {
        let namesB = Set(b.tensors.map(\.name))
        let namesA = Set(a.tensors.map(\.name))
        var entries: [Entry] = []
        for info in a.tensors where namesB.contains(info.name) {
            guard let other = b.info(info.name) else { continue }
            if info.shape != other.shape {
                entries.append(Entry(name: info.name, status: .shape, detail: "\(Shape.describe(info.shape)) vs \(Shape.describe(other.shape))"))
                continue
            }
            let values = try Self.compareValues(try a.read(info.name), try b.read(info.name), atol: atol, rtol: rtol)
            let dtypeNote = info.dtype == other.dtype ? nil : "\(info.dtype.rawValue) vs \(other.dtype.rawValue)"
            let status: Status = values.mismatched > 0 ? .values : (dtypeNote != nil && atol == 0 && rtol == 0 ? .dtype : .equal)
            entries.append(Entry(name: info.name, status: status, detail: dtypeNote, maxAbsDiff: values.maxAbs, maxRelDiff: values.maxRel,
                                 mismatched: values.mismatched, firstMismatch: values.firstMismatch))
        }
        return TensorComparison(atol: atol, rtol: rtol,
                                onlyInFirst: a.tensors.map(\.name).filter { !namesB.contains($0) },
                                onlyInSecond: b.tensors.map(\.name).filter { !namesA.contains($0) },
                                entries: entries)
    }
}
