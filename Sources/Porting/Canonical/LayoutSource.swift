import TensorIO

/// Canonical tensors written out in a schema's layout: the inverse of ``CanonicalSource``.
///
/// Every canonical tensor must be used by some rule of the target schema; one that no rule
/// takes is an error naming it, never silently dropped.
///
/// The metadata is the source's, less any Keras weight lists (they name the source's
/// tensors) and a safetensors file's `format` marker (it names the framework of the source's
/// layout, `pt` for Hugging Face's; the safetensors writer sets it anew, and a Flax msgpack has
/// no place for it), plus, for a schema with ``LayoutSchema/kerasLayers``, the lists of the output:
/// `layer_names` and each layer's `weight_names`, which the HDF5 writer stores as Keras does.
public final class LayoutSource: TensorSource {
    private struct Plan {
        let rule: TensorRule
        /// The block the rule is applied to (nil for a global or stacked rule).
        let block: Int?
        /// The canonical names read, per block for stacked rules.
        let canonicalNames: [[String]]
        let outputNames: [String]
        let inverse: [TransformStep]
    }

    public let canonical: any TensorSource
    public let schema: LayoutSchema
    public private(set) var tensors: [TensorInfo] = []
    /// The tensors written for each canonical tensor, by canonical name: how a report names
    /// an output as the file does (``PortReport/named(by:dtype:)``).
    public private(set) var fileTensors: [String: [TensorInfo]] = [:]
    private var planFor: [String: (plan: Plan, output: Int)] = [:]
    private var cache: (key: String, tensors: [Tensor])?
    /// The output's Keras weight lists as metadata (empty unless the schema has Keras layers).
    private var kerasLists: [String: String] = [:]

    /// - Parameters:
    ///   - canonical: tensors under canonical names (a ``CanonicalSource``, or an inflation).
    ///   - depth: the number of encoder blocks.
    public init(_ canonical: any TensorSource, schema: LayoutSchema, depth: Int) throws(CheckpointError) {
        self.canonical = canonical
        self.schema = schema
        let prefix = schema.prefixOptions[0]
        var available: [String: TensorInfo] = [:]
        for info in canonical.tensors { available[info.name] = info }
        var used: Set<String> = []
        var plans: [Plan] = []
        func plan(_ rule: TensorRule, block: Int?) throws(CheckpointError) {
            let blocks = rule.stacked ? Array(0..<depth) : [block ?? -1]
            let names = blocks.map { index in rule.targets.map { $0.name(block: index) } }
            let flat = names.flatMap { $0 }
            guard flat.allSatisfy({ available[$0] != nil && !used.contains($0) }), !flat.isEmpty else {
                if !rule.optional, flat.contains(where: { available[$0] == nil }) {
                    throw CheckpointError(.invalidRequest, file: canonical.path, tensor: flat.first { available[$0] == nil },
                        "the \(schema.name) layout needs this tensor, which the source does not have")
                }
                return
            }
            for name in flat { used.insert(name) }
            let outputs = rule.sources.map { prefix + $0.name(block: block ?? -1) }
            var inverse = TransformPipeline.inverse(rule.transform, inputCount: rule.sources.count)
            if inverse.contains(.foldClassPosition), let posemb = names.first?.first {
                // A CLS position that is not zero is kept rather than folded into `cls`, so the
                // round trip is exact; big_vision's loader folds such a row itself.
                let row = try canonical.read(posemb).slice(axis: 1, 0..<1)
                if !row.isAllZeroBytes { inverse.removeAll { $0 == .foldClassPosition } }
            }
            plans.append(Plan(rule: rule, block: block, canonicalNames: names, outputNames: outputs, inverse: inverse))
        }
        let global = schema.tensors.filter { !$0.targets.contains(where: \.isPerBlock) }
        let perBlock = schema.tensors.filter { $0.targets.contains(where: \.isPerBlock) && !$0.isTemporalBlock }
        let temporalBlock = schema.tensors.filter(\.isTemporalBlock)
        for rule in global where rule.targets.contains(where: { !LayoutMatcher.isHeadSide($0.text) }) { try plan(rule, block: nil) }
        for rule in perBlock where rule.stacked { try plan(rule, block: nil) }
        for block in 0..<depth {
            for rule in perBlock where !rule.stacked { try plan(rule, block: block) }
        }
        for block in 0..<Self.temporalDepth(of: canonical.tensors, rules: temporalBlock) {
            for rule in temporalBlock { try plan(rule, block: block) }
        }
        for rule in global where !rule.targets.contains(where: { !LayoutMatcher.isHeadSide($0.text) }) { try plan(rule, block: nil) }
        let unused = canonical.tensors.map(\.name).filter { !used.contains($0) }
        if !unused.isEmpty {
            throw CheckpointError(.invalidRequest, file: canonical.path, tensor: unused[0],
                "the \(schema.name) layout has no place for \(unused.count == 1 ? "this tensor" : "\(unused.count) tensors: \(unused.prefix(8).joined(separator: ", "))\(unused.count > 8 ? ", …" : "")")",
                fix: SettingText.unplacedTensorsFix)
        }
        for plan in plans {
            var shapes: [[Int]] = plan.canonicalNames[0].compactMap { available[$0]?.shape }
            let dtype = available[plan.canonicalNames[0][0]]?.dtype ?? .float32
            do {
                shapes = try TransformPipeline.shapes(plan.inverse, shapes, heads: nil)
            } catch {
                throw CheckpointError(.invalidRequest, file: canonical.path, tensor: plan.canonicalNames[0].joined(separator: ", "),
                    "cannot write in the \(schema.name) layout: \(error.reason)")
            }
            if plan.rule.stacked { shapes = shapes.map { [depth] + $0 } }
            for (index, (name, shape)) in zip(plan.outputNames, shapes).enumerated() {
                tensors.append(TensorInfo(name: name, dtype: dtype, shape: shape))
                planFor[name] = (plan, index)
            }
            let written = Array(tensors.suffix(plan.outputNames.count))
            for canonicalName in plan.canonicalNames.joined() { fileTensors[canonicalName] = written }
        }
        kerasLists = Self.kerasLists(schema: schema, prefix: prefix, plans: plans, depth: depth)
    }

    /// The depth of the second stack (`{j}`: Model 2's temporal transformer), from the
    /// canonical names themselves: one past the highest block index any rule's canonical
    /// names match, so callers pass the spatial depth only.
    static func temporalDepth(of tensors: [TensorInfo], rules: [TensorRule]) -> Int {
        var depth = 0
        for info in tensors {
            for rule in rules {
                for pattern in rule.targets {
                    if let index = pattern.match(info.name) { depth = max(depth, index + 1) }
                }
            }
        }
        return depth
    }

    /// The Keras 2 weight lists of the output, as metadata: the layers in the order the schema
    /// lists them (blocks in order), those without tensors left out as Keras's loader skips
    /// them, and each layer's weights in the order they are written.
    private static func kerasLists(schema: LayoutSchema, prefix: String, plans: [Plan], depth: Int) -> [String: String] {
        guard let layers = schema.kerasLayers else { return [:] }
        // The lists belong to the group the prefix names (`model_weights/` for a full-model
        // file); any rest of the prefix is part of each layer's name.
        let slash = prefix.lastIndex(of: "/")
        let group = slash.map { String(prefix[..<$0]) } ?? ""
        let layerPrefix = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        var weights: [String: [String]] = [:]
        for plan in plans {
            for pattern in plan.rule.sources {
                guard let layer = schema.kerasLayer(of: pattern) else { continue }
                let layerName = layer.name(block: plan.block ?? -1)
                let weight = pattern.name(block: plan.block ?? -1).dropFirst(layerName.count + 1)
                weights[layerPrefix + layerName, default: []].append(String(weight))
            }
        }
        var order: [String] = []
        for layer in layers.map(NamePattern.init) {
            for block in layer.isPerBlock ? Array(0..<depth) : [-1] {
                let name = layerPrefix + layer.name(block: block)
                if weights[name] != nil && !order.contains(name) { order.append(name) }
            }
        }
        var lists = [KerasWeightLists.key(group: group, attribute: "layer_names"): KerasWeightLists.text(order)]
        for layer in order {
            let layerGroup = group.isEmpty ? layer : group + "/" + layer
            lists[KerasWeightLists.key(group: layerGroup, attribute: "weight_names")] = KerasWeightLists.text(weights[layer] ?? [])
        }
        return lists
    }

    public var path: String { canonical.path }
    public var format: CheckpointFormat { canonical.format }
    public var metadata: [String: String] {
        canonical.carriedMetadata.filter { !KerasWeightLists.isListKey($0.key) }.merging(kerasLists) { _, ours in ours }
    }

    public func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard let (plan, output) = planFor[name] else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such tensor in the \(schema.name) layout")
        }
        let key = plan.outputNames.joined(separator: "\n")
        if let cache, cache.key == key { return cache.tensors[output] }
        do {
            var perBlock: [[Tensor]] = []
            for names in plan.canonicalNames {
                var inputs: [Tensor] = []
                for canonicalName in names { inputs.append(try canonical.read(canonicalName)) }
                perBlock.append(try TransformPipeline.apply(plan.inverse, inputs, heads: nil))
            }
            var outputs = perBlock[0]
            if plan.rule.stacked {
                outputs = try (0..<outputs.count).map { (index) throws(CheckpointError) in
                    let slices = try perBlock.map { (block) throws(CheckpointError) in try block[index].reshaped([1] + block[index].shape) }
                    return try Tensor.concatenate(slices, axis: 0)
                }
            }
            cache = (key, outputs)
            return outputs[output]
        } catch {
            throw CheckpointError(error.kind, file: path, tensor: name, "cannot write in the \(schema.name) layout: \(error.reason)")
        }
    }
}
