import TensorIO

/// Turns a canonical image ViT into a ViViT of one of the four models, as scenic's
/// `initialise_from_train_state` does, with the paper's choices as named options.
public enum Inflater {

    /// Plans the inflation of `vit` (canonical names) and returns the lazy result.
    /// - Parameters:
    ///   - vit: the ViT under canonical names (a ``CanonicalSource``).
    ///   - layout: the name of the source's layout, for the report.
    ///   - values: the head count, activation and epsilon with their origins, for the report.
    public static func inflate(_ vit: any TensorSource, architecture: ViTArchitecture, layout: String,
                               options: InflationOptions, values: ModelValues = ModelValues()) throws(CheckpointError) -> InflatedSource {
        let geometry = try ViViTGeometry.make(options, vit: architecture, file: vit.path)
        let canonical = vit as? any CanonicalProvenance
        var plan = InflationPlan(seed: options.seed, fileTensors: { canonical?.fileTensors(for: $0) })
        let names = Set(vit.tensors.map(\.name))
        let width = architecture.width
        let model = options.model
        let hasClass = architecture.classifier == .token
        // Every output splits attention by head (canonical [D, H, hd] kernels, Model 4's halves),
        // so a head count nothing gives is refused here rather than guessed.
        let heads = try architecture.requireHeads(file: vit.path, purpose: "Inflation")
        if model == .factorisedDotProduct, heads % 2 != 0 {
            throw CheckpointError(.invalidRequest, file: vit.path,
                "Model 4 splits the heads half over time, half over space, but the ViT has \(heads) heads",
                fix: "Choose another model for a ViT with an odd number of heads")
        }
        try options.validate(file: vit.path)
        if model == .timesformer {
            try planTimeSformer(&plan, vit: vit, architecture: architecture, geometry: geometry, options: options)
            return try finish(plan, vit: vit, geometry: geometry, architecture: architecture, layout: layout,
                              options: options, values: values)
        }

        // Tubelet embedding.
        let tubelet = geometry.tubelet
        plan.inflateKernel("embedding/kernel", from: "embedding/kernel",
                           shape: [tubelet[0], tubelet[1], tubelet[2], architecture.channels, width], method: options.kernelInflation)
        plan.copy("embedding/bias", from: "embedding/bias", shape: [width])

        let sourceGrid = architecture.grid
        let targetGrid = [geometry.grid[1], geometry.grid[2]]
        let encoder = model == .factorisedEncoder ? "SpatialTransformer" : "Transformer"
        if options.classifier == .token && !model.allowsClassToken {
            throw CheckpointError(.invalidRequest, file: vit.path,
                "\(model.title) has no CLS token in scenic (it pools by averaging)",
                fix: "Use \(setting: .classifier) gap, or Model 1 or 2")
        }
        let targetHasClass = options.resolvedClassifier(for: architecture) == .token

        // CLS token and positional embedding.
        let method = try positionMethod(options, model: model, changes: sourceGrid != targetGrid, tokens: geometry, file: vit.path)
        let tiles = model == .factorisedEncoder ? 1 : geometry.temporalTokens
        let classRow: InflationPlan.PositionRecipe.ClassRow = targetHasClass ? (hasClass ? .keep : .fresh) : .none
        plan.positions("\(encoder)/posembed_input/pos_embedding",
                       shape: [1, tiles * targetGrid[0] * targetGrid[1] + (targetHasClass ? 1 : 0), width],
                       .init(source: "Transformer/posembed_input/pos_embedding", sourceHasClassRow: hasClass,
                             sourceGrid: sourceGrid, targetGrid: method == .tile ? sourceGrid : targetGrid,
                             tiles: tiles, classRow: classRow))
        switch (model, targetHasClass) {
        case (.spacetime, true):
            if hasClass {
                plan.copy("cls", from: "cls", shape: [1, 1, width])
            } else {
                plan.initialise("cls", shape: [1, 1, width], .zeros, why: "scenic's CLS initialiser (the ViT pools by averaging and has none)")
            }
        case (.factorisedEncoder, true):
            if options.copySpatialClassToken && hasClass {
                plan.copy("cls_SpatialTransformer", from: "cls", shape: [1, 1, width],
                          method: "ViT cls copied (\(setting: .copySpatialClassToken); scenic leaves it zero)")
            } else {
                plan.initialise("cls_SpatialTransformer", shape: [1, 1, width], .zeros,
                                why: hasClass ? "scenic does not map the ViT's cls here (its name differs); \(setting: .copySpatialClassToken) copies it"
                                    : "scenic's CLS initialiser (the ViT has none)")
                if hasClass { plan.drop("cls", "scenic leaves cls_SpatialTransformer zero; pass \(setting: .copySpatialClassToken) to copy it") }
            }
        default:
            if hasClass {
                plan.drop("cls", model.allowsClassToken ? "the video model pools by averaging (\(setting: .classifier) gap)"
                          : "\(model.title) pools by averaging and has no CLS token")
            }
        }

        // Encoder blocks.
        for block in 0..<architecture.depth {
            let from = "Transformer/encoderblock_\(block)/"
            let to = "\(encoder)/encoderblock_\(block)/"
            let parts = vit.tensors.filter { $0.name.hasPrefix(from) }
            for part in parts {
                let suffix = String(part.name.dropFirst(from.count))
                if model == .factorisedSelfAttention {
                    plan.copy(to + factorisedSelfAttentionName(suffix), from: part.name, shape: part.shape)
                } else {
                    plan.copy(to + suffix, from: part.name, shape: part.shape,
                              method: model == .factorisedDotProduct && suffix.hasPrefix("MultiHeadDotProductAttention_0")
                                  ? "heads 0..<\(heads / 2) attend over time, the rest over space" : nil)
                }
            }
            if model == .factorisedSelfAttention {
                plan.initialise(to + "LayerNorm_time/scale", shape: [width], .ones, why: "LayerNorm default (scenic does not restore it)")
                plan.initialise(to + "LayerNorm_time/bias", shape: [width], .zeros, why: "LayerNorm default")
                let attention = parts.filter { $0.name.hasPrefix(from + "MultiHeadDotProductAttention_0/") }
                for part in attention {
                    let suffix = String(part.name.dropFirst((from + "MultiHeadDotProductAttention_0/").count))
                    let target = to + "MultiHeadDotProductAttention_time/" + suffix
                    switch options.temporalAttention {
                    case .copy:
                        plan.copy(target, from: part.name, shape: part.shape,
                                  method: "copy of the spatial attention (scenic's default, init_temporal_transformer)")
                    case .zero:
                        plan.initialise(target, shape: part.shape, .zeros,
                                        why: "zero temporal attention, a residual connection at first (the paper's choice)")
                    }
                }
            }
        }
        plan.copy("\(encoder)/encoder_norm/scale", from: "Transformer/encoder_norm/scale", shape: [width])
        plan.copy("\(encoder)/encoder_norm/bias", from: "Transformer/encoder_norm/bias", shape: [width])

        // Model 2's temporal transformer: scenic initialises it at random.
        if model == .factorisedEncoder {
            guard options.temporalLayers > 0 else {
                throw CheckpointError(.invalidRequest, file: vit.path, "\(setting: .temporalLayers) must be positive")
            }
            plan.initialiseTemporalTransformer(layers: options.temporalLayers, architecture: architecture, heads: heads,
                                               temporalTokens: geometry.temporalTokens, classToken: targetHasClass)
        }

        // Heads.
        if options.keepPreLogits && !names.contains("pre_logits/kernel") {
            throw CheckpointError(.invalidRequest, file: vit.path,
                "\(setting: .keepPreLogits) keeps the ViT's pre_logits layer, but this ViT has none", fix: "Leave out \(setting: .keepPreLogits)")
        }
        for name in ["pre_logits/kernel", "pre_logits/bias"] where names.contains(name) {
            if options.keepPreLogits, let info = vit.info(name) {
                plan.copy(name, from: name, shape: info.shape)
            } else {
                plan.drop(name, "scenic removes pre_logits unless the video model has a representation layer; \(setting: .keepPreLogits) keeps it")
            }
        }
        if let classes = options.classes {
            plan.initialise("output_projection/kernel", shape: [width, classes], .zeros, why: "scenic's zero classifier")
            plan.initialise("output_projection/bias", shape: [classes], .zeros, why: "scenic's zero classifier")
        }
        for name in ["output_projection/kernel", "output_projection/bias"] where names.contains(name) {
            plan.drop(name, "the image classifier is never carried over; the video model gets a new output_projection"
                      + (options.classes == nil ? " (pass \(setting: .classes) to create one)" : ""))
        }

        return try finish(plan, vit: vit, geometry: geometry, architecture: architecture, layout: layout,
                          options: options, values: values)
    }

    /// Every model's last step: the tensors the rewrites and the layout left out join the
    /// dropped list, any ViT tensor the plan neither uses nor drops is an error (nothing is
    /// lost silently), and the report is made.
    static func finish(_ plan: InflationPlan, vit: any TensorSource, geometry: ViViTGeometry, architecture: ViTArchitecture,
                       layout: String, options: InflationOptions, values: ModelValues) throws(CheckpointError) -> InflatedSource {
        var plan = plan
        let canonical = vit as? any CanonicalProvenance
        let rewritten = vit as? RewrittenSource
        plan.dropped += rewritten?.dropped ?? []
        if let match = canonical?.layoutMatch, !match.outside.isEmpty {
            for name in match.outside {
                plan.dropped.append(PortReport.Dropped(name: name, fileTensors: [name],
                    reason: "outside the model's tensors under '\(match.prefix)' (training state such as optimizer moments)"))
            }
        }
        let claimed = Set(plan.entries.flatMap { entry -> [String] in
            switch entry.recipe {
            case .copy(let source), .kernel(let source, _): [source]
            case .positions(let recipe): [recipe.source]
            case .initialise: []
            }
        } + plan.dropped.map(\.name))
        let unused = vit.tensors.map(\.name).filter { !claimed.contains($0) }
        guard unused.isEmpty else {
            throw CheckpointError(.invalidRequest, file: vit.path, tensor: unused[0],
                "the inflation has no place for \(unused.count) ViT tensor(s): \(unused.prefix(6).joined(separator: ", "))")
        }
        let grid = [geometry.grid[1], geometry.grid[2]]
        let settings = PortReport.Settings(options, geometry: geometry,
            positionalEmbedding: try positionMethod(options, model: options.model, changes: architecture.grid != grid, tokens: geometry, file: vit.path),
            classifier: options.resolvedClassifier(for: architecture))
        let report = PortReport(source: vit.path, layout: layout, model: options.model.rawValue, options: options,
                                settings: settings, values: values, outputs: plan.entries.map(\.report), dropped: plan.dropped,
                                rewrites: rewritten?.rewrites ?? [])
        return InflatedSource(vit: vit, plan: plan, geometry: geometry, architecture: architecture, options: options, report: report)
    }

    /// scenic's Model 3 renaming (`init_encoderblock` for `factorized_self_attention_block`).
    static func factorisedSelfAttentionName(_ suffix: String) -> String {
        let renames = [
            ("LayerNorm_0/", "LayerNorm_space/"), ("MultiHeadDotProductAttention_0/", "MultiHeadDotProductAttention_space/"),
            ("LayerNorm_1/", "LayerNorm_mlp/"), ("MlpBlock_0/", "MlpBlock/"),
        ]
        for (from, to) in renames where suffix.hasPrefix(from) { return to + suffix.dropFirst(from.count) }
        return suffix
    }

    /// The positional-embedding method: the user's, checked, or the one the grids call for.
    static func positionMethod(_ options: InflationOptions, model: VideoModel, changes: Bool,
                               tokens: ViViTGeometry, file: String) throws(CheckpointError) -> PositionalEmbeddingMethod {
        let perFrame = model == .factorisedEncoder || model == .timesformer || tokens.temporalTokens == 1
        guard let chosen = options.positionalEmbedding else {
            return changes ? (perFrame ? .resize : .resizeTile) : .tile
        }
        if chosen == .tile && changes {
            throw CheckpointError(.invalidRequest, file: file,
                "the patch grid changes with \(setting: .imageSize), which tiling cannot do",
                fix: perFrame ? "Use \(setting: .positionalEmbedding) resize" : "Use \(setting: .positionalEmbedding) resize-tile")
        }
        if chosen == .resize && !perFrame {
            throw CheckpointError(.invalidRequest, file: file,
                "\(setting: .positionalEmbedding) resize gives one frame's positions, but \(model.title) needs \(tokens.temporalTokens) frames' worth; resizing the whole space-time sequence as one grid (as scenic does) mixes time into space",
                fix: "Use \(setting: .positionalEmbedding) resize-tile")
        }
        return chosen
    }
}
