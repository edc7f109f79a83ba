import TensorIO

/// Fits one schema to a file's tensor names and shapes, without reading tensor data.
struct LayoutMatcher {
    let schema: LayoutSchema
    let prefix: String
    /// The number of heads when the user or a config file gave it.
    let heads: Int?

    /// A file's tensors as one prefix sees them: by name with the prefix removed, and the
    /// names outside it. Built once per prefix and shared by every layout that uses it, since
    /// detection fits every layout to the same file.
    struct Names {
        let byName: [String: TensorInfo]
        /// The keys of `byName`, as an array: cheaper to walk for every per-block pattern.
        let inside: [String]
        let outside: [String]

        init(_ infos: [TensorInfo], prefix: String) {
            var byName: [String: TensorInfo] = [:]
            // With a prefix, the model is the subtree under it; the rest of a training checkpoint
            // (optimizer moments, rng) is outside the model, listed but not held against the fit.
            var outside: [String] = []
            for info in infos {
                if info.name.hasPrefix(prefix) {
                    byName[String(info.name.dropFirst(prefix.count))] = info
                } else {
                    outside.append(info.name)
                }
            }
            self.byName = byName
            self.inside = Array(byName.keys)
            self.outside = outside
        }
    }

    func match(_ infos: [TensorInfo]) -> LayoutMatch {
        match(infos, Names(infos, prefix: prefix))
    }

    /// `match(infos)` with the file's names for this matcher's prefix already indexed.
    func match(_ infos: [TensorInfo], _ names: Names) -> LayoutMatch {
        let (byName, outside) = (names.byName, names.outside)
        var unexpected: [String] = []
        let depth = blockCount(byName, names.inside)
        var heads = heads
        var attempt = plan(byName, depth: depth, heads: heads)
        if heads == nil, attempt.needsHeads, let width = Self.width(of: attempt.bindings) {
            // Layouts that store attention as [D, D] do not say how many heads there are;
            // every standard ViT uses heads of 64 dimensions.
            if width % 64 == 0 {
                heads = width / 64
                attempt = plan(byName, depth: depth, heads: heads)
            } else {
                attempt.shapeProblems.append("the number of attention heads is not stored in this layout and width \(width) is not a multiple of 64; pass --heads")
            }
        }
        let claimed = Set(attempt.bindings.flatMap(\.sourceNames))
        unexpected += infos.map(\.name).filter { $0.hasPrefix(prefix) && !claimed.contains($0) }
        return LayoutMatch(schema: schema, prefix: prefix, depth: depth, heads: attempt.usedHeads ? heads : nil,
                           unexpected: unexpected.sorted(), outside: outside, missing: attempt.missing,
                           shapeProblems: attempt.shapeProblems, bindings: attempt.bindings)
    }

    /// The hidden width, from the canonical patch-embedding bias or CLS token.
    static func width(of bindings: [LayoutMatch.Binding]) -> Int? {
        for binding in bindings {
            for (name, shape) in zip(binding.canonicalNames, binding.canonicalShapes) {
                if name == "embedding/bias", shape.count == 1 { return shape[0] }
                if name == "cls", let last = shape.last { return last }
            }
        }
        return nil
    }

    /// Blocks are numbered 0..<depth; the depth is one past the highest index any per-block
    /// pattern matches, or the leading axis of a stacked tensor.
    private func blockCount(_ byName: [String: TensorInfo], _ names: [String]) -> Int {
        var depth = 0
        for rule in schema.tensors {
            for pattern in rule.sources {
                if rule.stacked {
                    if let info = byName[pattern.text], let leading = info.shape.first { depth = max(depth, leading) }
                } else if pattern.isPerBlock {
                    for name in names {
                        if let index = pattern.match(name) { depth = max(depth, index + 1) }
                    }
                }
            }
        }
        return depth
    }

    private struct Plan {
        var bindings: [LayoutMatch.Binding] = []
        var missing: [String] = []
        var shapeProblems: [String] = []
        var needsHeads = false
        var usedHeads = false
    }

    private func plan(_ byName: [String: TensorInfo], depth: Int, heads: Int?) -> Plan {
        var result = Plan()
        var claimed: Set<String> = []
        // Rules with no block index come first, then every block in turn: the natural order
        // of a ViT (embeddings, blocks, head) whatever order the schema lists its rules in.
        let global = schema.tensors.filter { !$0.targets.contains(where: \.isPerBlock) }
        let perBlock = schema.tensors.filter { $0.targets.contains(where: \.isPerBlock) }
        let headRules = global.filter { rule in rule.targets.contains { !Self.isHeadSide($0.text) } }
        let tailRules = global.filter { rule in !rule.targets.contains { !Self.isHeadSide($0.text) } }
        for rule in headRules { bind(rule, block: nil, byName, heads, &claimed, &result) }
        // A file in which no block matches still needs block 0: fitting it records block 0's
        // tensors as missing, so a file of other block names is not a full match of zero
        // blocks, and the closest-candidate message says which names were looked for.
        let needsBlocks = perBlock.contains { !$0.optional }
        for block in 0..<(depth == 0 && needsBlocks ? 1 : depth) {
            for rule in perBlock { bind(rule, block: block, byName, heads, &claimed, &result) }
        }
        for rule in tailRules { bind(rule, block: nil, byName, heads, &claimed, &result) }
        return result
    }

    /// Canonical tensors that come after the encoder blocks.
    static func isHeadSide(_ canonical: String) -> Bool {
        canonical.hasPrefix("Transformer/encoder_norm") || canonical.hasPrefix("pre_logits") || canonical.hasPrefix("head")
    }

    private func bind(_ rule: TensorRule, block: Int?, _ byName: [String: TensorInfo], _ heads: Int?,
                      _ claimed: inout Set<String>, _ result: inout Plan) {
        let names = rule.sources.map { rule.stacked ? $0.text : $0.name(block: block ?? -1) }
        // A stacked tensor serves every block; any other tensor serves one rule only.
        let present = names.filter { byName[$0] != nil && (rule.stacked || !claimed.contains($0)) }
        guard present.count == names.count else {
            if !rule.optional {
                result.missing += names.filter { byName[$0] == nil }.map { prefix + $0 }
            }
            return
        }
        var shapes = names.compactMap { byName[$0]?.shape }
        let dtypes = Set(names.compactMap { byName[$0]?.dtype })
        if rule.stacked {
            guard let block, shapes.allSatisfy({ ($0.first ?? 0) > block }) else { return }
            shapes = shapes.map { Array($0.dropFirst()) }
        }
        guard dtypes.count == 1, let dtype = dtypes.first else {
            result.shapeProblems.append("\(names.map { prefix + $0 }.joined(separator: ", ")): the tensors of one rule must share a dtype")
            return
        }
        do {
            let canonicalShapes = try TransformPipeline.shapes(rule.transform, shapes, heads: heads)
            if rule.transform.contains(where: { if case .splitHeads = $0 { true } else { false } }) { result.usedHeads = true }
            for name in names { claimed.insert(name) }
            result.bindings.append(LayoutMatch.Binding(
                rule: rule, block: block, sourceNames: names.map { prefix + $0 },
                canonicalNames: rule.targets.map { $0.name(block: block ?? -1) },
                canonicalShapes: canonicalShapes, dtype: dtype))
        } catch {
            if error.needsHeads {
                result.needsHeads = true
                for name in names { claimed.insert(name) }
                // Record the binding's shapes as far as they are known, so the width can be found.
                result.bindings.append(LayoutMatch.Binding(
                    rule: rule, block: block, sourceNames: names.map { prefix + $0 },
                    canonicalNames: rule.targets.map { $0.name(block: block ?? -1) }, canonicalShapes: [], dtype: dtype))
            } else {
                result.shapeProblems.append("\(names.map { prefix + $0 }.joined(separator: ", ")) \(Shape.describe(shapes.first ?? [])): \(error.reason)")
            }
        }
    }
}
