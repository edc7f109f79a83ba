import TensorIO

extension InflationPlan {
    /// Model 2's temporal transformer, which an image ViT cannot provide: scenic initialises
    /// it at random (maintainers' answer in scenic #351), with its own initialiser for each
    /// kind of parameter (reference §3.6).
    mutating func initialiseTemporalTransformer(layers: Int, architecture: ViTArchitecture, heads: Int, temporalTokens: Int, classToken: Bool) {
        let width = architecture.width
        if classToken {
            initialise("cls_TemporalTransformer", shape: [1, 1, width], .zeros, why: "scenic's CLS initialiser")
        }
        initialise("TemporalTransformer/posembed_input/pos_embedding",
                   shape: [1, temporalTokens + (classToken ? 1 : 0), width], .normal(stddev: 0.02),
                   why: "scenic's positional-embedding initialiser (an image ViT has no temporal positions)")
        for block in 0..<layers {
            initialiseEncoderBlock("TemporalTransformer/encoderblock_\(block)/", architecture: architecture, heads: heads, why: "new temporal block")
        }
        initialise("TemporalTransformer/encoder_norm/scale", shape: [width], .ones, why: "new temporal encoder")
        initialise("TemporalTransformer/encoder_norm/bias", shape: [width], .zeros, why: "new temporal encoder")
    }

    /// One encoder block as scenic's `Encoder1DBlock` initialises it: LayerNorm 1/0, attention
    /// kernels `xavier_uniform` (on the flattened `[D, D]`) with zero biases, MLP kernels
    /// `xavier_uniform` with `normal(1e-6)` biases.
    mutating func initialiseEncoderBlock(_ prefix: String, architecture: ViTArchitecture, heads: Int, why: SettingText) {
        let width = architecture.width, mlp = architecture.mlpWidth, headDim = width / heads
        initialise(prefix + "LayerNorm_0/scale", shape: [width], .ones, why: why)
        initialise(prefix + "LayerNorm_0/bias", shape: [width], .zeros, why: why)
        for projection in ["query", "key", "value"] {
            initialise(prefix + "MultiHeadDotProductAttention_0/\(projection)/kernel", shape: [width, heads, headDim],
                       .xavierUniform(fanIn: width, fanOut: width), why: why)
            initialise(prefix + "MultiHeadDotProductAttention_0/\(projection)/bias", shape: [heads, headDim], .zeros, why: why)
        }
        initialise(prefix + "MultiHeadDotProductAttention_0/out/kernel", shape: [heads, headDim, width],
                   .xavierUniform(fanIn: width, fanOut: width), why: why)
        initialise(prefix + "MultiHeadDotProductAttention_0/out/bias", shape: [width], .zeros, why: why)
        initialise(prefix + "LayerNorm_1/scale", shape: [width], .ones, why: why)
        initialise(prefix + "LayerNorm_1/bias", shape: [width], .zeros, why: why)
        initialise(prefix + "MlpBlock_0/Dense_0/kernel", shape: [width, mlp], .xavierUniform(fanIn: width, fanOut: mlp), why: why)
        initialise(prefix + "MlpBlock_0/Dense_0/bias", shape: [mlp], .normal(stddev: 1e-6), why: why)
        initialise(prefix + "MlpBlock_0/Dense_1/kernel", shape: [mlp, width], .xavierUniform(fanIn: mlp, fanOut: width), why: why)
        initialise(prefix + "MlpBlock_0/Dense_1/bias", shape: [width], .normal(stddev: 1e-6), why: why)
    }
}
