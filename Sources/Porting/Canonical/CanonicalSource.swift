import TensorIO

/// A file's tensors seen under canonical names and layouts, computed lazily: each canonical
/// tensor is made from its file tensors when it is read.
public final class CanonicalSource: TensorSource {
    public let base: any TensorSource
    public let match: LayoutMatch
    public let tensors: [TensorInfo]
    private var bindingFor: [String: (binding: LayoutMatch.Binding, output: Int)] = [:]
    /// The last rule's outputs: a fused q/k/v is read once for its three canonical tensors.
    private var cache: (key: String, tensors: [Tensor])?

    /// - Parameter match: a full match of a schema against `base`'s tensors.
    public init(_ base: any TensorSource, match: LayoutMatch) {
        self.base = base
        self.match = match
        tensors = match.canonicalTensors
        for binding in match.bindings {
            for (index, name) in binding.canonicalNames.enumerated() { bindingFor[name] = (binding, index) }
        }
    }

    public var path: String { base.path }
    public var format: CheckpointFormat { base.format }
    public var metadata: [String: String] { base.metadata }

    /// The input file's own tensors a canonical tensor is made from.
    public func fileTensors(for name: String) -> [String]? {
        bindingFor[name]?.binding.sourceNames
    }

    public func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard let (binding, output) = bindingFor[name] else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such canonical tensor")
        }
        let key = binding.sourceNames.joined(separator: "\n") + "#\(binding.block ?? -1)"
        if let cache, cache.key == key { return cache.tensors[output] }
        var inputs: [Tensor] = []
        for sourceName in binding.sourceNames {
            var tensor = try base.read(sourceName)
            if binding.rule.stacked, let block = binding.block {
                tensor = try tensor.slice(axis: 0, block..<(block + 1)).reshaped(Array(tensor.shape.dropFirst()))
            }
            inputs.append(tensor)
        }
        do {
            let outputs = try TransformPipeline.apply(binding.rule.transform, inputs, heads: match.transformHeads)
            cache = (key, outputs)
            return outputs[output]
        } catch {
            throw CheckpointError(error.kind, file: path, tensor: binding.sourceNames.joined(separator: ", "),
                "cannot convert to '\(name)' in the \(match.schema.name) layout: \(error.reason)")
        }
    }
}
