import TensorIO

/// A checkpoint whose layout and model values are known: the start of every pipeline step.
public struct RecognisedCheckpoint {
    /// The file's tensors under its own names.
    public let source: any TensorSource
    /// The path it was opened as (a model directory's, where `source.path` is the weights
    /// file inside).
    public let path: String
    /// The layout it is in, with the head count and where it came from.
    public let match: LayoutMatch
    /// The head count, activation and LayerNorm epsilon, each with its origin.
    public let values: ModelValues
    /// The pipeline that recognised it.
    public let pipeline: Pipeline

    /// The tensors under canonical names, exactly as the file stores them.
    public var canonical: CanonicalSource { CanonicalSource(source, match: match) }

    /// The canonical tensors after the exact rewrites (LayerScale folded, a CLS token without
    /// a position given a zero one, missing biases as zeros) into the plain ViT every ViViT
    /// and every other layout holds; the rewrites and what was left out are recorded.
    public func rewritten() throws(CheckpointError) -> RewrittenSource {
        try RewrittenSource(canonical)
    }

    /// The architecture of the plain ViT (``rewritten()``).
    public func architecture() throws(CheckpointError) -> ViTArchitecture {
        try ViTArchitecture.infer(rewritten().tensors, file: path, heads: match.headCount)
    }

    /// Plans the inflation into a ViViT; tensors are computed as the output is written.
    public func inflate(_ options: InflationOptions) throws(CheckpointError) -> Inflation {
        let canonical = try rewritten()
        let architecture = try ViTArchitecture.infer(canonical.tensors, file: path, heads: match.headCount)
        let inflated = try Inflater.inflate(canonical, architecture: architecture, layout: match.layoutDescription,
                                            options: options, values: values)
        return Inflation(checkpoint: self, architecture: architecture, inflated: inflated)
    }

    /// The checkpoint in the layout `target`, less what `exclusion` leaves out.
    public func convert(to target: String, excluding exclusion: TensorExclusion = .none) throws(CheckpointError) -> LayoutConversion {
        let schema = try pipeline.library.schema(named: target)
        let conversion = try refusingOtherModels(writing: schema) { () throws(CheckpointError) in
            try LayoutConversion.convert(source, match: match, to: schema, exclusion: exclusion, values: values)
        }
        guard let note = clipNote(target: schema) else { return conversion }
        return LayoutConversion(source: conversion.source, leftOut: conversion.leftOut, notes: conversion.notes + [note])
    }

    /// A ViViT Model 1 or 3 or 4 whose clip a config file states, written in a layout with no
    /// config: the clip is not in the weights, so say what to give when converting it back.
    func clipNote(target: LayoutSchema) -> PipelineNote? {
        guard target.huggingFaceClass == nil, ViViTArchitecture.isViViT(match.canonicalTensors),
              let architecture = try? vivitArchitecture(), architecture.model != .factorisedEncoder,
              let frames = architecture.frames, let imageSize = architecture.imageSize,
              let origin = architecture.clipOrigin, origin != .stored else { return nil }
        return PipelineNote(.advice, "note: the clip (\(frames) frames of \(imageSize[0]) px, \(origin.basis)) is not stored in the weights; pass \(setting: .frames) \(frames) when converting them to a Hugging Face ViViT")
    }
}

extension TensorExclusion {
    /// Leaves nothing out.
    public static let none = TensorExclusion(matches: { $0 == $1 })
}
