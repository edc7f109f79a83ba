import Porting
import TensorIO

/// Rewrites a source into another layout through canonical names: the source's layout is
/// detected (or named with `--from`), its tensors are mapped to canonical form and written out
/// with the target schema's inverse transforms.
enum LayoutConversion {
    /// A conversion, and what to tell the user about it: printed by the caller once every
    /// check has passed, so a refused run prints its one error line and nothing else.
    struct Result {
        let source: LayoutSource
        let notes: [String]
    }

    /// `source`, read in the layout `match` found, written in `schema`'s layout, less the
    /// tensors `exclusion` leaves out (listed in the notes and in the output's metadata).
    static func convert(_ source: any TensorSource, match: LayoutMatch, to schema: LayoutSchema,
                        exclusion: TensorExclusion, values: ModelValues) throws(CheckpointError) -> Result {
        var notes: [String] = []
        let canonical = try canonicalSource(source, match: match, for: schema)
        let leftOut = exclusion.leftOut(canonical, target: schema)
        try ExclusionRecord.requireEveryPatternUsed(exclusion, leftOut: leftOut, file: source.path)
        let kept = leftOut.isEmpty ? canonical as any TensorSource
            : SubsetSource(AnnotatedSource(canonical, adding: ExclusionRecord.metadata(leftOut)),
                           excluding: Set(leftOut.map(\.canonical)))
        let output = try LayoutSource(kept, schema: schema, depth: match.depth)
        notes.append("layout: \(match.layoutDescription) → \(schema.name)")
        if let rewritten = canonical as? RewrittenSource {
            for rewrite in rewritten.rewrites { notes.append("rewrite: \(rewrite.method) (\(rewrite.tensors.count) tensors): \(rewrite.detail)") }
            for entry in rewritten.dropped { notes.append("left out \(entry.name): \(entry.reason)") }
        }
        if !leftOut.isEmpty { notes.append(ExclusionRecord.summary(leftOut)) }
        if let activation = values.activation, let usual = schema.activation, usual != activation.value {
            // Weights carry no activation: a model built with the target family's usual one
            // computes another function.
            notes.append("note: the source's activation is \(activation.value) (\(activation.origin.description)); \(schema.name) models use \(usual) unless built otherwise, so build the model with \(activation.value) to compute the same function")
        }
        if !match.outside.isEmpty {
            notes.append("left out \(match.outside.count) tensors outside '\(match.prefix)', not part of the model: "
                       + match.outside.prefix(5).joined(separator: ", ") + (match.outside.count > 5 ? ", …" : ""))
        }
        if schema.storesHeadCount {
            // The target splits attention by head, so the count is baked into its kernels.
            switch match.headCount {
            case .unknown:
                let architecture = try ViTArchitecture.infer(match, file: source.path)
                _ = try architecture.requireHeads(file: source.path, purpose: "The \(schema.name) layout's [D, H, hd] attention kernels")
            case .resolved(let heads) where heads.origin.isAssumed:
                notes.append("note: assumed heads \(heads.value): \(heads.origin.basis) (the \(match.schema.name) layout does not store it, the \(schema.name) layout does); pass --heads if the model has another")
            default:
                break
            }
        }
        return Result(source: output, notes: notes)
    }

    /// The canonical tensors to write in `target`: the file's own form when the target is the
    /// source's layout (a round trip keeps LayerScale, a position-less CLS token, missing
    /// biases as they are), otherwise after the exact rewrites into the plain ViT every other
    /// layout holds (``RewrittenSource``).
    static func canonicalSource(_ source: any TensorSource, match: LayoutMatch,
                                for target: LayoutSchema) throws(CheckpointError) -> any CanonicalProvenance {
        let canonical = CanonicalSource(source, match: match)
        return target.name == match.schema.name ? canonical : try RewrittenSource(canonical)
    }

    /// The detected layout, or the named one if it fits every tensor.
    static func sourceLayout(_ source: any TensorSource, from: String?, detector: LayoutDetector) throws(CheckpointError) -> LayoutMatch {
        guard let from else { return try detector.detect(source) }
        let schema = try detector.library.schema(named: from)
        let candidates = detector.rank(source.tensors).filter { $0.schema.name == schema.name }
        if let fit = candidates.first(where: \.isFull) { return fit }
        // What the file is, when detection can tell: the likeliest fix is to drop --from.
        let detected = (try? detector.detect(source)).map { $0.schema.name }
        let fix = detected.map { "It is \($0): drop --from, or pass --from \($0)" }
        guard let closest = candidates.first else {
            throw CheckpointError(.unsupported, file: source.path, "the \(from) layout does not fit", fix: fix)
        }
        let explained = Int((closest.score * 100).rounded(.down))
        throw CheckpointError(.unsupported, file: source.path,
            "the \(from) layout does not fit: it explains \(explained)% of the tensors (\(LayoutDetector.shortfall(closest)))", fix: fix)
    }
}
