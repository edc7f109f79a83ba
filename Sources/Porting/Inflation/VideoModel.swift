/// The video models an image ViT inflates into: the four ViViT models of Arnab et al. (ICCV
/// 2021), by scenic's attention types, and TimeSformer's divided space-time attention
/// (Bertasius et al., ICML 2021), as Hugging Face's `TimesformerModel` builds it.
public enum VideoModel: String, CaseIterable, Codable, Sendable {
    /// Model 1: one transformer over all space-time tokens (`spacetime`).
    case spacetime
    /// Model 2: a spatial transformer per frame, then a temporal transformer over the frames'
    /// representations (`factorized_encoder`).
    case factorisedEncoder = "factorised-encoder"
    /// Model 3: each block attends over time, then over space (`factorized_self_attention_block`).
    case factorisedSelfAttention = "factorised-self-attention"
    /// Model 4: half the heads attend over time, half over space (`factorized_dot_product_attention`).
    case factorisedDotProduct = "factorised-dot-product"
    /// TimeSformer (`divided_space_time`): per-frame 2-D patches, spatial positions plus
    /// separate time embeddings, and in each block attention over time (with its own output
    /// projection, `temporal_dense`) before attention over space.
    case timesformer

    /// The ViViT paper's number; nil for TimeSformer.
    public var number: Int? {
        switch self {
        case .spacetime: 1
        case .factorisedEncoder: 2
        case .factorisedSelfAttention: 3
        case .factorisedDotProduct: 4
        case .timesformer: nil
        }
    }

    /// How messages name the model: "ViViT Model 1 (spacetime)", "TimeSformer (divided space-time attention)".
    public var title: String {
        number.map { "ViViT Model \($0) (\(rawValue))" } ?? "TimeSformer (divided space-time attention)"
    }

    /// scenic's `attention_config.type`; nil for TimeSformer, which scenic does not build.
    public var scenicType: String? {
        switch self {
        case .spacetime: "spacetime"
        case .factorisedEncoder: "factorized_encoder"
        case .factorisedSelfAttention: "factorized_self_attention_block"
        case .factorisedDotProduct: "factorized_dot_product_attention"
        case .timesformer: nil
        }
    }

    /// The built-in layout of scenic's tree for this model (Models 1 and 4 have the same
    /// names); nil for TimeSformer, which scenic does not build.
    public var scenicLayout: String? {
        switch self {
        case .spacetime, .factorisedDotProduct: "scenic"
        case .factorisedEncoder: "scenic-vivit-factorised-encoder"
        case .factorisedSelfAttention: "scenic-vivit-factorised-self-attention"
        case .timesformer: nil
        }
    }

    /// Models 3 and 4 forbid the token classifier in scenic: they pool by averaging.
    /// TimeSformer pools with its CLS token only.
    public var allowsClassToken: Bool {
        self != .factorisedSelfAttention && self != .factorisedDotProduct
    }
}

/// How the 2-D patch kernel becomes a tubelet kernel (scenic's `kernel_init_method`).
public enum KernelInflation: String, CaseIterable, Codable, Sendable {
    /// `central_frame_initializer`: the 2-D kernel at frame `t // 2`, zeros elsewhere (scenic's
    /// released configs, and the paper's best).
    case central
    /// `average_frame_initializer`: the 2-D kernel divided by `t` in every frame (I3D inflation).
    case average
    /// `average_arp_frame_initializer`: approximate rank pooling weights (Bilen et al.).
    case arp
}

/// How positional embeddings reach the video token count (scenic's `positional_embed_size_change`).
public enum PositionalEmbeddingMethod: String, CaseIterable, Codable, Sendable {
    /// Repeat the spatial grid once per temporal index (time-major), as the paper does.
    case tile
    /// Resize the spatial grid in 2-D (`scipy.ndimage.zoom`, order 1), for one frame's tokens.
    case resize
    /// Resize the spatial grid in 2-D, then tile it over time.
    case resizeTile = "resize-tile"
}

/// How Model 3's temporal attention starts.
public enum TemporalAttentionInit: String, CaseIterable, Codable, Sendable {
    /// A copy of the spatial attention: scenic's default (`init_temporal_transformer=True`).
    case copy
    /// All kernels and biases zero, so the temporal branch adds nothing at first: the paper's choice.
    case zero
}
