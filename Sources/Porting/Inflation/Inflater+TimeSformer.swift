import TensorIO

extension Inflater {
    /// TimeSformer's divided space-time model, initialised as its authors do it
    /// (facebookresearch/TimeSformer, `timesformer/models/vit.py` and `helpers.py`
    /// `load_pretrained`): the patch embedding, CLS token, spatial positions, spatial attention,
    /// norms and MLP are the ViT's; the time embeddings are zero; each block's temporal attention
    /// and its LayerNorm are copies of the spatial ones; and every block's `temporal_fc`
    /// (Hugging Face's `temporal_dense`) is zero, so the temporal branch starts as the identity
    /// and a clip of one repeated image gives the ViT's CLS features.
    ///
    /// Two choices differ from the authors' code, both recorded in the report: positional
    /// embeddings follow a changed image size by 2-D linear interpolation of the patch grid (as
    /// for ViViT; the authors interpolate the flattened sequence, nearest, in 1-D), and the new
    /// classifier is zero (the authors draw it from trunc_normal(0.02)).
    static func planTimeSformer(_ plan: inout InflationPlan, vit: any TensorSource, architecture: ViTArchitecture,
                                geometry: ViViTGeometry, options: InflationOptions) throws(CheckpointError) {
        let width = architecture.width
        let names = Set(vit.tensors.map(\.name))
        guard architecture.classifier == .token else {
            throw CheckpointError(.unsupported, file: vit.path,
                "TimeSformer pools with its CLS token, which this ViT (a gap classifier, pooling by averaging) does not have",
                fix: "Inflate it into a ViViT (\(setting: .model) spacetime … factorised-dot-product), which can pool by averaging")
        }
        if options.classifier == .gap {
            throw CheckpointError(.invalidRequest, file: vit.path,
                "TimeSformer pools with its CLS token and has no gap classifier", fix: "Leave out \(setting: .classifier)")
        }
        guard architecture.patchSize[0] == architecture.patchSize[1], geometry.imageSize[0] == geometry.imageSize[1] else {
            throw CheckpointError(.unsupported, file: vit.path,
                "Hugging Face's TimeSformer takes square patches and square images (one patch_size, one image_size), not \(architecture.patchSize[0])x\(architecture.patchSize[1]) patches of \(geometry.imageSize[0])x\(geometry.imageSize[1]) images",
                fix: architecture.patchSize[0] == architecture.patchSize[1] ? "Pass a square \(setting: .imageSize)" : "Inflate it into a ViViT instead")
        }

        plan.copy("embedding/kernel", from: "embedding/kernel", shape: [architecture.patchSize[0], architecture.patchSize[1], architecture.channels, width],
                  method: "the ViT's 2-D patch kernel, applied to every frame")
        plan.copy("embedding/bias", from: "embedding/bias", shape: [width])
        plan.copy("cls", from: "cls", shape: [1, 1, width])

        let sourceGrid = architecture.grid
        let targetGrid = [geometry.grid[1], geometry.grid[2]]
        _ = try positionMethod(options, model: .timesformer, changes: sourceGrid != targetGrid, tokens: geometry, file: vit.path)
        plan.positions("Transformer/posembed_input/pos_embedding", shape: [1, targetGrid[0] * targetGrid[1] + 1, width],
                       .init(source: "Transformer/posembed_input/pos_embedding", sourceHasClassRow: true,
                             sourceGrid: sourceGrid, targetGrid: targetGrid, tiles: 1, classRow: .keep))
        plan.initialise("Transformer/time_embedding", shape: [1, geometry.frames, width], .zeros,
                        why: "the TimeSformer authors' zero time embeddings (every frame starts where the ViT's image was)")

        for block in 0..<architecture.depth {
            let prefix = "Transformer/encoderblock_\(block)/"
            let parts = vit.tensors.filter { $0.name.hasPrefix(prefix) }
            for part in parts {
                plan.copy(part.name, from: part.name, shape: part.shape)
            }
            for part in parts where part.name.hasPrefix(prefix + "LayerNorm_0/") {
                let suffix = part.name.dropFirst((prefix + "LayerNorm_0/").count)
                plan.copy(prefix + "LayerNorm_time/" + suffix, from: part.name, shape: part.shape,
                          method: "copy of the spatial attention's LayerNorm (the authors' temporal_norm1 from norm1)")
            }
            for part in parts where part.name.hasPrefix(prefix + "MultiHeadDotProductAttention_0/") {
                let target = prefix + "MultiHeadDotProductAttention_time/" + part.name.dropFirst((prefix + "MultiHeadDotProductAttention_0/").count)
                switch options.temporalAttention {
                case .copy:
                    plan.copy(target, from: part.name, shape: part.shape,
                              method: "copy of the spatial attention (the authors' temporal_attn from attn)")
                case .zero:
                    plan.initialise(target, shape: part.shape, .zeros, why: "zero temporal attention (\(setting: .temporalAttention) zero)")
                }
            }
            plan.initialise(prefix + "temporal_dense/kernel", shape: [width, width], .zeros,
                            why: "the authors zero every block's temporal_fc, so the temporal branch starts as the identity")
            plan.initialise(prefix + "temporal_dense/bias", shape: [width], .zeros,
                            why: "the authors zero every block's temporal_fc, so the temporal branch starts as the identity")
        }
        plan.copy("Transformer/encoder_norm/scale", from: "Transformer/encoder_norm/scale", shape: [width])
        plan.copy("Transformer/encoder_norm/bias", from: "Transformer/encoder_norm/bias", shape: [width])

        for name in ["pre_logits/kernel", "pre_logits/bias"] where names.contains(name) {
            plan.drop(name, "TimeSformer has no representation layer: its classifier reads the final LayerNorm's CLS token")
        }
        if let classes = options.classes {
            plan.initialise("output_projection/kernel", shape: [width, classes], .zeros,
                            why: "zero classifier, as for every Tubelet video model (the authors draw it from trunc_normal(0.02))")
            plan.initialise("output_projection/bias", shape: [classes], .zeros, why: "zero classifier bias, as the authors'")
        }
        for name in ["output_projection/kernel", "output_projection/bias"] where names.contains(name) {
            plan.drop(name, "the image classifier is never carried over; the video model gets a new classifier"
                      + (options.classes == nil ? " (pass \(setting: .classes) to create one)" : ""))
        }
    }
}
