import Porting
import TensorIO

/// Rewrites a source into another layout through canonical names: the source's layout is
/// detected (or named with `--from`), its tensors are mapped to canonical form and written out
/// with the target schema's inverse transforms.
enum LayoutConversion {
    static func convert(_ source: any TensorSource, to target: String, from: String?,
                        detector: LayoutDetector) throws(CheckpointError) -> any TensorSource {
        let schema = try detector.library.schema(named: target)
        let match = try sourceLayout(source, from: from, detector: detector)
        return try convert(source, match: match, to: schema, detector: detector)
    }

    /// `source`, read in the layout `match` found, written in `schema`'s layout.
    static func convert(_ source: any TensorSource, match: LayoutMatch, to schema: LayoutSchema,
                        detector: LayoutDetector) throws(CheckpointError) -> LayoutSource {
        let canonical = try canonicalSource(source, match: match, for: schema)
        let output = try LayoutSource(canonical, schema: schema, depth: match.depth)
        printError("layout: \(match.layoutDescription) → \(schema.name)")
        if let rewritten = canonical as? RewrittenSource {
            for rewrite in rewritten.rewrites { printError("rewrite: \(rewrite.method) (\(rewrite.tensors.count) tensors): \(rewrite.detail)") }
            for entry in rewritten.dropped { printError("left out \(entry.name): \(entry.reason)") }
        }
        if !match.outside.isEmpty {
            printError("left out \(match.outside.count) tensors outside '\(match.prefix)', not part of the model: "
                       + match.outside.prefix(5).joined(separator: ", ") + (match.outside.count > 5 ? ", …" : ""))
        }
        if match.heads != nil && detector.heads == nil && schema.storesHeadCount, let heads = match.heads {
            // The split is baked into the output's [D, H, hd] kernels, so a wrong guess is
            // not harmless: say that it was a guess.
            printError("note: the \(match.schema.name) layout does not store the number of attention heads; assumed \(heads) (64-dimensional heads), which the \(schema.name) layout records. Pass --heads N if the model has another number")
        }
        return output
    }

    /// The canonical tensors to write in `target`: the file's own form when the target is the
    /// source's layout (a round trip keeps LayerScale, a position-less CLS token, missing
    /// biases as they are), otherwise after the exact rewrites into the plain ViT every other
    /// layout holds (``RewrittenSource``).
    static func canonicalSource(_ source: any TensorSource, match: LayoutMatch,
                                for target: LayoutSchema) throws(CheckpointError) -> any TensorSource {
        let canonical = CanonicalSource(source, match: match)
        return target.name == match.schema.name ? canonical : try RewrittenSource(canonical)
    }

    /// The detected layout, or the named one if it fits every tensor.
    static func sourceLayout(_ source: any TensorSource, from: String?, detector: LayoutDetector) throws(CheckpointError) -> LayoutMatch {
        guard let from else { return try detector.detect(source) }
        let schema = try detector.library.schema(named: from)
        let candidates = detector.rank(source.tensors).filter { $0.schema.name == schema.name }
        if let fit = candidates.first(where: \.isFull) { return fit }
        guard let closest = candidates.first else {
            throw CheckpointError(.unsupported, file: source.path, "the \(from) layout does not fit")
        }
        throw CheckpointError(.unsupported, file: source.path, "the \(from) layout does not fit: \(LayoutDetector.explain(closest))")
    }
}
