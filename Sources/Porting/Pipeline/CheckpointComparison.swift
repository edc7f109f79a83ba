import TensorIO

/// Two checkpoints compared tensor by tensor, in any formats and layouts: under canonical
/// names when both have a known layout and the layouts differ, so a timm `.pth` and a
/// vision_transformer `.npz` of the same weights compare equal; otherwise by the files' own
/// names.
public struct CheckpointComparison: Sendable {
    /// How names were matched, for people: "the files' own names" or "canonical names (A vs B)".
    public let basis: String
    public let tensors: TensorComparison
    /// Set when the two files hold different kinds of model (a ViT and a ViViT, or two ViViT
    /// models): what each is and what to compare instead; no tensor is compared then.
    public var kindDifference: String? = nil

    public var isEqual: Bool { kindDifference == nil && tensors.isEqual }
}

extension Pipeline {
    /// Compares `first` and `second` (opened sources) with the tolerances of numpy's allclose.
    /// - Parameters:
    ///   - firstPath: the path `first` was opened as (a model directory's, where its `path` is
    ///     the weights file inside), where a `config.json` is looked for; the same for
    ///     `secondPath`.
    public func compare(_ first: any TensorSource, _ second: any TensorSource, firstPath: String? = nil, secondPath: String? = nil,
                        atol: Double = 0, rtol: Double = 0) throws(CheckpointError) -> CheckpointComparison {
        var a = first, b = second
        let pathA = firstPath ?? first.path, pathB = secondPath ?? second.path
        var basis = "the files' own names"
        let detectedA = try? detector(for: pathA).detect(first), detectedB = try? detector(for: pathB).detect(second)
        if let detectedA, let detectedB, let kindA = ModelKind.of(detectedA, path: pathA), let kindB = ModelKind.of(detectedB, path: pathB),
           let difference = ModelKind.difference(kindA, kindB) {
            return CheckpointComparison(
                basis: "their models (\(detectedA.layoutDescription) vs \(detectedB.layoutDescription))",
                tensors: TensorComparison(atol: atol, rtol: rtol, onlyInFirst: [], onlyInSecond: [], entries: []),
                kindDifference: difference)
        }
        if var matchA = detectedA, var matchB = detectedB,
           matchA.schema.name != matchB.schema.name || matchA.prefix != matchB.prefix {
            _ = try values(for: matchA, path: pathA)
            _ = try values(for: matchB, path: pathB)
            (matchA, matchB) = reconcileHeads(matchA, first, matchB, second)
            a = CanonicalSource(first, match: matchA)
            b = CanonicalSource(second, match: matchB)
            basis = "canonical names (\(matchA.layoutDescription) vs \(matchB.layoutDescription))"
        }
        return CheckpointComparison(basis: basis, tensors: try TensorComparison.compare(a, b, atol: atol, rtol: rtol))
    }

    /// Canonical kernels are split by head. When one file's head count is unknown, the other's
    /// (stored or given) is the same model's: both are split alike, so the values are compared
    /// and not the placeholder split. When neither is known both use the same placeholder, and
    /// the comparison is exact all the same.
    func reconcileHeads(_ matchA: LayoutMatch, _ a: any TensorSource,
                        _ matchB: LayoutMatch, _ b: any TensorSource) -> (LayoutMatch, LayoutMatch) {
        if matchA.headCount == .unknown, let heads = matchB.heads,
           let again = try? LayoutDetector(library: library, heads: Sourced(heads, .given)).detect(a) {
            return (again, matchB)
        }
        if matchB.headCount == .unknown, let heads = matchA.heads,
           let again = try? LayoutDetector(library: library, heads: Sourced(heads, .given)).detect(b) {
            return (matchA, again)
        }
        return (matchA, matchB)
    }
}
