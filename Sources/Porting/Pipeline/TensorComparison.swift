import TensorIO

/// The differences between two sources, tensor by tensor, read one pair at a time, each pair
/// in step a block at a time.
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
            // Both read in order a block at a time: neither tensor is held whole, whatever its size.
            let left = try a.read(info.name).elementReader()
            let right = try b.read(info.name).elementReader()
            var leftBlock: [Double] = [], rightBlock: [Double] = []
            var maxAbs = 0.0, maxRel = 0.0, mismatched = 0
            var firstMismatch: Int?
            var offset = 0
            while true {
                try left.next(into: &leftBlock)
                try right.next(into: &rightBlock)
                if leftBlock.isEmpty || rightBlock.isEmpty { break }
                for index in 0..<min(leftBlock.count, rightBlock.count) {
                    let x = leftBlock[index], y = rightBlock[index]
                    if x.isNaN && y.isNaN { continue }
                    if x == y { continue }
                    let difference = (x - y).magnitude
                    let relative = y == 0 ? Double.infinity : difference / y.magnitude
                    if !difference.isNaN {
                        maxAbs = max(maxAbs, difference)
                        maxRel = max(maxRel, relative)
                    }
                    if !(difference <= atol + rtol * y.magnitude) {
                        mismatched += 1
                        if firstMismatch == nil { firstMismatch = offset + index }
                    }
                }
                offset += leftBlock.count
            }
            let dtypeNote = info.dtype == other.dtype ? nil : "\(info.dtype.rawValue) vs \(other.dtype.rawValue)"
            let status: Status = mismatched > 0 ? .values : (dtypeNote != nil && atol == 0 && rtol == 0 ? .dtype : .equal)
            entries.append(Entry(name: info.name, status: status, detail: dtypeNote, maxAbsDiff: maxAbs, maxRelDiff: maxRel,
                                 mismatched: mismatched, firstMismatch: firstMismatch))
        }
        return TensorComparison(atol: atol, rtol: rtol,
                                onlyInFirst: a.tensors.map(\.name).filter { !namesB.contains($0) },
                                onlyInSecond: b.tensors.map(\.name).filter { !namesA.contains($0) },
                                entries: entries)
    }
}
