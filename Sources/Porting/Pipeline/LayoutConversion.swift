import TensorIO

/// A source rewritten into another layout through canonical names: its tensors are mapped to
/// canonical form and written out with the target schema's inverse transforms.
///
/// The notes say what the caller should know (the layouts, exact rewrites, what was left out,
/// an activation the target family does not use, an assumed head count); the command line
/// prints them once every check has passed, so a refused run prints its one error line.
public struct LayoutConversion {
    /// The tensors in the target layout, computed as a writer asks for them.
    public let source: LayoutSource
    /// The canonical tensors left out on purpose, also in `source`'s metadata
    /// (``ExclusionRecord``).
    public let leftOut: [TensorExclusion.LeftOut]
    public let notes: [PipelineNote]

    /// `source`, read in the layout `match` found, written in `schema`'s layout, less the
    /// tensors `exclusion` leaves out (listed in the notes and in the output's metadata).
    public static func convert(_ source: any TensorSource, match: LayoutMatch, to schema: LayoutSchema,
                               exclusion: TensorExclusion, values: ModelValues) throws(CheckpointError) -> LayoutConversion {
        var notes: [PipelineNote] = []
        let canonical = try canonicalSource(source, match: match, for: schema)
        let leftOut = exclusion.leftOut(canonical, target: schema)
        try ExclusionRecord.requireEveryPatternUsed(exclusion, leftOut: leftOut, file: source.path)
        let kept = leftOut.isEmpty ? canonical as any TensorSource
            : SubsetSource(AnnotatedSource(canonical, adding: ExclusionRecord.metadata(leftOut)),
                           excluding: Set(leftOut.map(\.canonical)))
        let output = try LayoutSource(kept, schema: schema, depth: match.depth)
        notes.append(PipelineNote(.layout, "layout: \(match.layoutDescription) → \(schema.name)"))
        if let rewritten = canonical as? RewrittenSource {
            for rewrite in rewritten.rewrites {
                notes.append(PipelineNote(.rewrite, "rewrite: \(rewrite.method) (\(rewrite.tensors.count) tensors): \(rewrite.detail)"))
            }
            for entry in rewritten.dropped { notes.append(PipelineNote(.leftOut, "left out \(entry.name): \(entry.reasonText)")) }
        }
        if !leftOut.isEmpty { notes.append(PipelineNote(.excluded, SettingText(verbatim: ExclusionRecord.summary(leftOut)))) }
        if let activation = values.activation, let usual = schema.activation, usual != activation.value {
            // Weights carry no activation: a model built with the target family's usual one
            // computes another function.
            notes.append(PipelineNote(.advice, "note: the source's activation is \(activation.value) (\(activation.origin.description)); \(schema.name) models use \(usual) unless built otherwise, so build the model with \(activation.value) to compute the same function"))
        }
        if !match.outside.isEmpty {
            let names = match.outside.prefix(5).joined(separator: ", ") + (match.outside.count > 5 ? ", …" : "")
            notes.append(PipelineNote(.leftOut, "left out \(match.outside.count) tensors outside '\(match.prefix)', not part of the model: \(names)"))
        }
        if schema.storesHeadCount {
            // The target splits attention by head, so the count is baked into its kernels.
            switch match.headCount {
            case .unknown:
                let architecture = try ViTArchitecture.infer(match, file: source.path)
                _ = try architecture.requireHeads(file: source.path, purpose: "The \(schema.name) layout's [D, H, hd] attention kernels")
            case .resolved(let heads) where heads.origin.isAssumed:
                notes.append(PipelineNote(.assumption, "note: assumed heads \(heads.value): \(heads.origin.basis) (the \(match.schema.name) layout does not store it, the \(schema.name) layout does); pass \(setting: .heads) if the model has another"))
            default:
                break
            }
        }
        return LayoutConversion(source: output, leftOut: leftOut, notes: notes)
    }

    /// The canonical tensors to write in `target`: the file's own form when the target is the
    /// source's layout (a round trip keeps LayerScale, a position-less CLS token, missing
    /// biases as they are), otherwise after the exact rewrites into the plain ViT every other
    /// layout holds (``RewrittenSource``).
    public static func canonicalSource(_ source: any TensorSource, match: LayoutMatch,
                                       for target: LayoutSchema) throws(CheckpointError) -> any CanonicalProvenance {
        let canonical = CanonicalSource(source, match: match)
        return target.name == match.schema.name ? canonical : try RewrittenSource(canonical)
    }
}
