import TensorIO

/// One step of a schema transform, from a file's form towards the canonical form.
///
/// The vocabulary is fixed and every step has an exact inverse, so a schema written for
/// reading also writes, and round trips are bit-exact. JSON: `{"op": "permute", "axes":
/// [2, 3, 1, 0]}`, `{"op": "transpose"}`, `{"op": "split", "axis": 0, "parts": 3}`,
/// `{"op": "concat", "axis": 0}`, `{"op": "splitHeads", "axis": 1}`, `{"op": "mergeHeads",
/// "axis": 1}`, `{"op": "expandDims", "axis": 0}`, `{"op": "squeeze", "axis": 0}`,
/// `{"op": "classPosition"}`.
public enum TransformStep: Codable, Sendable, Equatable {
    /// Reorder axes: `out.shape[k] = in.shape[axes[k]]`.
    case permute([Int])
    /// One tensor into `parts` equal pieces along `axis` (a fused q/k/v into three).
    case split(axis: Int, parts: Int)
    /// Several tensors into one along `axis` (inverse of split).
    case concat(axis: Int)
    /// Axis `axis` of size `heads × headDim` into two axes `[heads, headDim]`.
    case splitHeads(axis: Int)
    /// Axes `axis` and `axis + 1` into one (inverse of splitHeads).
    case mergeHeads(axis: Int)
    /// A new axis of size 1 at `axis`.
    case expandDims(axis: Int)
    /// Remove axis `axis`, which must have size 1.
    case squeeze(axis: Int)
    /// big_vision keeps no position for the CLS token: `[posemb [1,N,D], cls]` becomes
    /// `[posemb with a zero row 0 [1,N+1,D], cls]`. The inverse drops row 0 and adds it into
    /// `cls`, which is what big_vision's own loader does with such a row.
    case classPosition
    /// Inverse of classPosition.
    case foldClassPosition

    enum CodingKeys: String, CodingKey { case op, axes, axis, parts }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let op = try container.decode(String.self, forKey: .op)
        switch op {
        case "permute": self = .permute(try container.decode([Int].self, forKey: .axes))
        case "transpose": self = .permute([1, 0])
        case "split":
            self = .split(axis: try container.decode(Int.self, forKey: .axis), parts: try container.decode(Int.self, forKey: .parts))
        case "concat": self = .concat(axis: try container.decode(Int.self, forKey: .axis))
        case "splitHeads": self = .splitHeads(axis: try container.decode(Int.self, forKey: .axis))
        case "mergeHeads": self = .mergeHeads(axis: try container.decode(Int.self, forKey: .axis))
        case "expandDims": self = .expandDims(axis: try container.decode(Int.self, forKey: .axis))
        case "squeeze": self = .squeeze(axis: try container.decode(Int.self, forKey: .axis))
        case "classPosition": self = .classPosition
        case "foldClassPosition": self = .foldClassPosition
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [CodingKeys.op],
                debugDescription: "unknown transform op '\(op)'; known: permute, transpose, split, concat, splitHeads, mergeHeads, expandDims, squeeze, classPosition"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .permute(let axes):
            if axes == [1, 0] { try container.encode("transpose", forKey: .op) } else {
                try container.encode("permute", forKey: .op)
                try container.encode(axes, forKey: .axes)
            }
        case .split(let axis, let parts):
            try container.encode("split", forKey: .op)
            try container.encode(axis, forKey: .axis)
            try container.encode(parts, forKey: .parts)
        case .concat(let axis): try container.encode("concat", forKey: .op); try container.encode(axis, forKey: .axis)
        case .splitHeads(let axis): try container.encode("splitHeads", forKey: .op); try container.encode(axis, forKey: .axis)
        case .mergeHeads(let axis): try container.encode("mergeHeads", forKey: .op); try container.encode(axis, forKey: .axis)
        case .expandDims(let axis): try container.encode("expandDims", forKey: .op); try container.encode(axis, forKey: .axis)
        case .squeeze(let axis): try container.encode("squeeze", forKey: .op); try container.encode(axis, forKey: .axis)
        case .classPosition: try container.encode("classPosition", forKey: .op)
        case .foldClassPosition: try container.encode("foldClassPosition", forKey: .op)
        }
    }

    /// How many tensors come out when `inputCount` go in.
    func outputCount(inputCount: Int) throws(TensorRule.Invalid) -> Int {
        switch self {
        case .split(_, let parts):
            guard inputCount == 1, parts > 0 else { throw TensorRule.Invalid(reason: "split takes exactly one tensor and parts > 0") }
            return parts
        case .concat:
            guard inputCount > 0 else { throw TensorRule.Invalid(reason: "concat needs tensors") }
            return 1
        case .classPosition, .foldClassPosition:
            guard inputCount == 2 else { throw TensorRule.Invalid(reason: "\(self) takes [pos_embedding, cls]") }
            return 2
        default:
            return inputCount
        }
    }

    /// The step that undoes this one, given how many tensors this one received.
    func inverse(inputCount: Int) -> TransformStep {
        switch self {
        case .permute(let axes):
            var inverse = [Int](repeating: 0, count: axes.count)
            for (position, axis) in axes.enumerated() where axis >= 0 && axis < axes.count { inverse[axis] = position }
            return .permute(inverse)
        case .split(let axis, _): return .concat(axis: axis)
        case .concat(let axis): return .split(axis: axis, parts: inputCount)
        case .splitHeads(let axis): return .mergeHeads(axis: axis)
        case .mergeHeads(let axis): return .splitHeads(axis: axis)
        case .expandDims(let axis): return .squeeze(axis: axis)
        case .squeeze(let axis): return .expandDims(axis: axis)
        case .classPosition: return .foldClassPosition
        case .foldClassPosition: return .classPosition
        }
    }
}
