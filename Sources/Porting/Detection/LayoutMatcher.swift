import TensorIO

/// Fits one schema to a file's tensor names and shapes, without reading tensor data.
struct LayoutMatcher {
    let schema: LayoutSchema
    let prefix: String
    /// The number of heads when the caller or a config file gave it.
    let heads: Sourced<Int>?

    /// A file's tensors as one prefix sees them: by name with the prefix removed, and the
    /// names outside it. Built once per prefix and shared by every layout that uses it, since
    /// detection fits every layout to the same file.
    struct Names {
        let byName: [String: TensorInfo]
        /// The keys of `byName` as UTF-8 bytes: cheaper to walk for every per-block pattern.
        let inside: [[UInt8]]
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
            self.inside = byName.keys.map { Array($0.utf8) }
            self.outside = outside
        }
    }

    /// False when the file lacks a tensor this layout requires, which `match` would record as
    /// missing (so the match could not be full): every name of a required rule with no block
    /// index, and of a required per-block rule for block 0, which is always fitted. A cheap
    /// test before fitting in full.
    func mayFit(_ names: Names) -> Bool {
        for rule in schema.tensors where !rule.optional {
            let perBlock = !rule.stacked && rule.targets.contains(where: \.isPerBlock)
            for pattern in rule.sources where names.byName[perBlock ? pattern.name(block: 0) : pattern.text] == nil {
                return false
            }
        }
        return true
    }

    func match(_ infos: [TensorInfo]) -> LayoutMatch {
        match(infos, Names(infos, prefix: prefix))
    }

    /// `match(infos)` with the file's names for this matcher's prefix already indexed.
    func match(_ infos: [TensorInfo], _ names: Names) -> LayoutMatch {
        let (byName, outside) = (names.byName, names.outside)
        let (depth, temporalDepth) = blockCounts(byName, names.inside)
        func plan(_ byName: [String: TensorInfo], depth: Int, heads: Int?) -> Plan {
            self.plan(byName, depth: depth, temporalDepth: temporalDepth, heads: heads)
        }
        var attempt = plan(byName, depth: depth, heads: heads?.value)
        var headCount: HeadCount = .unknown
        var transformHeads: Int?
        var headsProblem: String?
        if heads == nil && attempt.needsHeads {
            // The layout stores attention as [D, D] and nothing outside the tensors said how
            // many heads there are. Fit it with one head, a reshape that is exact whatever the
            // true number, so the layout is still recognised; then ask the standard table.
            attempt = plan(byName, depth: depth, heads: 1)
            transformHeads = 1
            if let dimensions = Self.dimensions(of: attempt.bindings, depth: depth),
               let standard = StandardViT.heads(width: dimensions.width, depth: depth,
                                                mlpWidth: dimensions.mlpWidth, patch: dimensions.patch) {
                attempt = plan(byName, depth: depth, heads: standard.heads)
                transformHeads = standard.heads
                headCount = .resolved(Sourced(standard.heads, .standardConfiguration(standard.name)))
            }
        } else if let heads, !attempt.shapeProblems.isEmpty,
                  case let placeholder = plan(byName, depth: depth, heads: 1), placeholder.shapeProblems.isEmpty,
                  let width = Self.dimensions(of: placeholder.bindings, depth: depth)?.width ?? Self.storedWidth(placeholder.bindings) {
            // The layout fits but for the given head count: say that, not which shapes failed.
            attempt = placeholder
            attempt.shapeProblems = ["\(heads.value) attention heads (\(heads.origin.basis)) do not divide the width \(width)"]
            headsProblem = attempt.shapeProblems[0]
        } else if attempt.usedHeads, let heads {
            transformHeads = heads.value
            headCount = .resolved(heads)
        } else if let stored = Self.storedHeads(of: attempt.bindings) {
            headCount = .stored(stored)
        } else if let heads {
            headCount = .resolved(heads)
        }
        var contradicted: Sourced<Int>?
        if case .stored(let stored) = headCount, let heads, heads.value != stored {
            contradicted = heads
        }
        let claimed = Set(attempt.bindings.flatMap(\.sourceNames))
        let unexpected = infos.map(\.name).filter { $0.hasPrefix(prefix) && !claimed.contains($0) }
        return LayoutMatch(schema: schema, prefix: prefix, depth: depth, temporalDepth: temporalDepth, headCount: headCount,
                           contradictedHeads: contradicted, headsProblem: headsProblem, transformHeads: transformHeads,
                           unclaimed: unexpected, outside: outside, missing: attempt.missing,
                           shapeProblems: attempt.shapeProblems, bindings: attempt.bindings)
    }

    /// The head count of a layout that stores it: the second axis of the first canonical query
    /// kernel (ViViT Model 3 names its attentions `MultiHeadDotProductAttention_space` and `_time`).
    static func storedHeads(of bindings: [LayoutMatch.Binding]) -> Int? {
        for binding in bindings {
            for (name, shape) in zip(binding.canonicalNames, binding.canonicalShapes)
            where name.contains("/MultiHeadDotProductAttention_") && name.hasSuffix("/query/kernel") && shape.count == 3 {
                return shape[1]
            }
        }
        return nil
    }

    /// The width from the canonical patch-embedding kernel (or ViViT tubelet kernel), whatever its patch shape.
    static func storedWidth(_ bindings: [LayoutMatch.Binding]) -> Int? {
        for binding in bindings {
            for (name, shape) in zip(binding.canonicalNames, binding.canonicalShapes) where name == "embedding/kernel" && (4...5).contains(shape.count) {
                return shape[shape.count - 1]
            }
        }
        return nil
    }

    /// Width, MLP width and square patch size from canonical shapes, for the standard table.
    /// A ViViT's `[t, h, w, C, D]` tubelet kernel counts by its spatial patch: a ViViT-B/16x2
    /// has ViT-B/16's encoder.
    static func dimensions(of bindings: [LayoutMatch.Binding], depth: Int) -> (width: Int, mlpWidth: Int, patch: Int)? {
        var width: Int?, mlpWidth: Int?, patch: Int?
        for binding in bindings {
            for (name, shape) in zip(binding.canonicalNames, binding.canonicalShapes) {
                if name == "embedding/kernel", (4...5).contains(shape.count), case let spatial = shape.suffix(4).map({ $0 }), spatial[0] == spatial[1] {
                    patch = spatial[0]
                    width = spatial[3]
                }
                if name == "Transformer/encoderblock_0/MlpBlock_0/Dense_0/kernel", shape.count == 2 { mlpWidth = shape[1] }
            }
        }
        guard let width, let mlpWidth, let patch, depth > 0 else { return nil }
        return (width, mlpWidth, patch)
    }

    /// Blocks are numbered 0..<depth; the depth is one past the highest index any per-block
    /// pattern matches, or the leading axis of a stacked tensor. The second stack (`{j}`:
    /// Model 2's temporal transformer) is counted apart.
    private func blockCounts(_ byName: [String: TensorInfo], _ names: [[UInt8]]) -> (depth: Int, temporalDepth: Int) {
        var depth = 0, temporalDepth = 0
        for rule in schema.tensors {
            for pattern in rule.sources {
                if rule.stacked {
                    if let info = byName[pattern.text], let leading = info.shape.first { depth = max(depth, leading) }
                } else if let index = pattern.highestIndex(in: names) {
                    if pattern.isTemporalBlock {
                        temporalDepth = max(temporalDepth, index + 1)
                    } else {
                        depth = max(depth, index + 1)
                    }
                }
            }
        }
        return (depth, temporalDepth)
    }

    private struct Plan {
        var bindings: [LayoutMatch.Binding] = []
        var missing: [String] = []
        var shapeProblems: [String] = []
        var needsHeads = false
        var usedHeads = false
    }

    private func plan(_ byName: [String: TensorInfo], depth: Int, temporalDepth: Int, heads: Int?) -> Plan {
        var result = Plan()
        var claimed: Set<String> = []
        // Rules with no block index come first, then every block in turn: the natural order
        // of a ViT (embeddings, blocks, head) whatever order the schema lists its rules in.
        let global = schema.tensors.filter { !$0.targets.contains(where: \.isPerBlock) }
        let perBlock = schema.tensors.filter { $0.targets.contains(where: \.isPerBlock) && !$0.isTemporalBlock }
        let temporalBlock = schema.tensors.filter(\.isTemporalBlock)
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
        // The second stack may be empty (scenic's spatial-only Model 2 baseline has none); a
        // gap in it still shows as missing blocks below its highest index.
        for block in 0..<temporalDepth {
            for rule in temporalBlock { bind(rule, block: block, byName, heads, &claimed, &result) }
        }
        for rule in tailRules { bind(rule, block: nil, byName, heads, &claimed, &result) }
        return result
    }

    /// Canonical tensors that come after the encoder blocks.
    static func isHeadSide(_ canonical: String) -> Bool {
        canonical.hasPrefix("Transformer/encoder_norm") || canonical.hasPrefix("pre_logits") || canonical.hasPrefix("output_projection")
    }

    private func bind(_ rule: TensorRule, block: Int?, _ byName: [String: TensorInfo], _ heads: Int?,
                      _ claimed: inout Set<String>, _ result: inout Plan) {
        let names = rule.sources.map { rule.stacked ? $0.text : $0.name(block: block ?? -1) }
        // Each name looked up once: this runs for every rule of every layout and block.
        let found = names.map { byName[$0] }
        // A stacked tensor serves every block; any other tensor serves one rule only.
        guard !found.contains(where: { $0 == nil }), rule.stacked || !names.contains(where: claimed.contains) else {
            if !rule.optional {
                result.missing += zip(names, found).filter { $0.1 == nil }.map { prefix + $0.0 }
            }
            return
        }
        let infos = found.compactMap { $0 }
        var shapes = infos.map(\.shape)
        if rule.stacked {
            guard let block, shapes.allSatisfy({ ($0.first ?? 0) > block }) else { return }
            shapes = shapes.map { Array($0.dropFirst()) }
        }
        guard let dtype = infos.first?.dtype, infos.allSatisfy({ $0.dtype == dtype }) else {
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
