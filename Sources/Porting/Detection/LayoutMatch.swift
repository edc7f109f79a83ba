import TensorIO

/// How well one schema (with one prefix) fits a file's tensors, and the bindings that map
/// them to canonical tensors when it fits.
public struct LayoutMatch: Sendable {
    /// One use of a rule: the file tensors it reads and the canonical tensors it makes.
    struct Binding: Sendable {
        let rule: TensorRule
        /// The block index for per-block and stacked rules.
        let block: Int?
        /// Full file names (prefix included), in the rule's order.
        let sourceNames: [String]
        let canonicalNames: [String]
        let canonicalShapes: [[Int]]
        let dtype: DType
    }

    public let schema: LayoutSchema
    public let prefix: String
    /// Number of encoder blocks found.
    public let depth: Int
    /// Number of blocks of the second stack (`{j}`: ViViT Model 2's temporal transformer); 0
    /// for every layout without one.
    public let temporalDepth: Int
    /// How many attention heads the model has, and how that is known.
    public let headCount: HeadCount
    /// A head count given from outside the tensors (a config file, the caller) that the
    /// layout's own shapes contradict: an error for every consumer, never silently ignored.
    public let contradictedHeads: Sourced<Int>?
    /// Set when the layout fits every tensor except that the given head count does not divide
    /// the width: the one thing to tell the user.
    public let headsProblem: String?
    /// The head count the transforms split attention with: the known count, or 1 as an exact
    /// placeholder when it is unknown; nil for a layout that stores it.
    let transformHeads: Int?
    /// File tensors under the prefix that no rule claimed, in name order.
    public var unexpected: [String] { unclaimed.sorted() }
    /// The same in the file's order: detection fits every layout and ranks them by counts, and
    /// only the one or two candidates shown need the names sorted.
    let unclaimed: [String]
    /// File tensors outside the prefix: the rest of a training checkpoint (optimizer state,
    /// step counters), which is not part of the model. Every consumer lists what it leaves out.
    public let outside: [String]
    /// File tensors the schema requires that are absent.
    public let missing: [String]
    /// Tensors present but of a shape the transforms cannot take.
    public let shapeProblems: [String]
    let bindings: [Binding]

    /// Every tensor claimed, nothing required missing, every shape fits.
    public var isFull: Bool { unclaimed.isEmpty && missing.isEmpty && shapeProblems.isEmpty && !bindings.isEmpty }

    /// The share of the file's tensors this layout explains, less what it misses; for
    /// ranking the closest candidate when nothing fits.
    public var score: Double {
        let claimed = bindings.reduce(0) { $0 + $1.sourceNames.count }
        let total = claimed + unclaimed.count + missing.count + shapeProblems.count + (claimed == 0 ? outside.count : 0)
        return total == 0 ? 0 : Double(claimed) / Double(total)
    }

    /// The canonical tensors this match produces, in order.
    public var canonicalTensors: [TensorInfo] {
        bindings.flatMap { binding in
            zip(binding.canonicalNames, binding.canonicalShapes).map { TensorInfo(name: $0, dtype: binding.dtype, shape: $1) }
        }
    }

    /// The number of attention heads, when known.
    public var heads: Int? { headCount.value }

    /// The display name: the schema, with the prefix when there is one.
    public var layoutDescription: String {
        prefix.isEmpty ? schema.name : "\(schema.name) (prefix '\(prefix)')"
    }
}
