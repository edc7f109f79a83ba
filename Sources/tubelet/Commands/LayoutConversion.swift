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
        let canonical = CanonicalSource(source, match: match)
        let output = try LayoutSource(canonical, schema: schema, depth: match.depth)
        printError("layout: \(match.layoutDescription) → \(schema.name)")
        if !match.outside.isEmpty {
            printError("left out \(match.outside.count) tensors outside '\(match.prefix)', not part of the model: "
                       + match.outside.prefix(5).joined(separator: ", ") + (match.outside.count > 5 ? ", …" : ""))
        }
        if schema.storesHeadCount {
            // The target splits attention by head, so the count is baked into its kernels.
            switch match.headCount {
            case .unknown:
                let architecture = try ViTArchitecture.infer(match, file: source.path)
                _ = try architecture.requireHeads(file: source.path, purpose: "The \(schema.name) layout's [D, H, hd] attention kernels")
            case .resolved(let heads) where heads.origin.isAssumed:
                printError("note: assumed heads \(heads.value): \(heads.origin.basis) (the \(match.schema.name) layout does not store it, the \(schema.name) layout does); pass --heads if the model has another")
            default:
                break
            }
        }
        return output
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
