import FoundationEssentials
import TensorIO

/// The configuration of an inflated ViViT: enough to build the model in scenic or Hugging
/// Face, and to weigh it before training (parameters, tokens, compute).
public struct ViViTConfig: Codable, Sendable {
    public var model: VideoModel
    public var architecture: ViTArchitecture
    public var geometry: ViViTGeometry
    public var options: InflationOptions

    /// The ``DocumentHeader`` (`tubelet.config`) and `{"model", "scenic_attention_type", "frames", "tubelet", "image_size", "tokens",
    /// "hidden_size", "depth", "heads", "mlp_dim", "classifier", "temporal_layers", "classes"}`.
    public var jsonText: String {
        let summary = Summary(
            model: model.rawValue, scenicAttentionType: model.scenicType,
            frames: geometry.frames, tubelet: geometry.tubelet, imageSize: geometry.imageSize,
            tokens: geometry.tokens, hiddenSize: architecture.width, depth: architecture.depth,
            heads: architecture.heads, mlpDim: architecture.mlpWidth, classifier: classifier,
            temporalLayers: model == .factorisedEncoder ? options.temporalLayers : 0,
            classes: Nullable(value: options.classes))
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Document(summary: summary))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The header, then the summary's fields, in one object.
    private struct Document: Encodable {
        var summary: Summary

        func encode(to encoder: any Encoder) throws {
            try DocumentHeader.config.encode(to: encoder)
            try summary.encode(to: encoder)
        }
    }

    /// The fields of ``jsonText``.
    private struct Summary: Encodable {
        var model: String
        /// Absent for TimeSformer, which scenic does not build.
        var scenicAttentionType: String?
        var frames: Int
        var tubelet, imageSize: [Int]
        var tokens, hiddenSize, depth: Int
        /// Known for every inflation: the inflater refuses a ViT whose head count is unknown.
        var heads: Int?
        var mlpDim: Int
        var classifier: String
        var temporalLayers: Int
        var classes: Nullable<Int>
    }

    /// An optional written as `null` when absent (synthesized encoding leaves the key out).
    private struct Nullable<Wrapped: Encodable>: Encodable {
        var value: Wrapped?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if let value { try container.encode(value) } else { try container.encodeNil() }
        }
    }

    /// Models 3 and 4 pool by averaging; Models 1 and 2 keep the ViT's classifier.
    public var classifier: String {
        options.resolvedClassifier(for: architecture).rawValue
    }

    var hasClassToken: Bool { classifier == ViTArchitecture.Classifier.token.rawValue }

    /// Multiply-accumulates of one forward pass over one clip (one "view"), counting the
    /// matrix products and the tubelet convolution, as fvcore and the ViViT paper count
    /// "FLOPs" (ViViT-B/16x2, 32 frames: Model 1 ≈ 455 G, Model 2 ≈ 284 G).
    public var multiplyAccumulatesPerView: Double {
        let d = Double(architecture.width), m = Double(architecture.mlpWidth), depth = Double(architecture.depth)
        let nt = Double(geometry.temporalTokens), ns = Double(geometry.spatialTokens)
        let patches = nt * ns
        let embedding = patches * Double(geometry.tubelet.reduce(1, *) * geometry.channels) * d
        /// Projections and MLP of `tokens` tokens, attention over sequences of `length`.
        func block(tokens: Double, length: Double) -> Double {
            4 * tokens * d * d + 2 * tokens * d * m + 2 * tokens * length * d
        }
        let cls = hasClassToken ? 1.0 : 0.0
        var total = embedding
        switch model {
        case .spacetime:
            total += depth * block(tokens: patches + cls, length: patches + cls)
        case .factorisedEncoder:
            total += nt * depth * block(tokens: ns + cls, length: ns + cls)
            total += Double(options.temporalLayers) * block(tokens: nt + cls, length: nt + cls)
        case .factorisedSelfAttention:
            // Time then space attention (each: projections + attention), one MLP.
            let attentionTime = 4 * patches * d * d + 2 * patches * nt * d
            let attentionSpace = 4 * patches * d * d + 2 * patches * ns * d
            total += depth * (attentionTime + attentionSpace + 2 * patches * d * m)
        case .factorisedDotProduct:
            // Half the heads over time, half over space.
            total += depth * (4 * patches * d * d + 2 * patches * d * m + 2 * patches * (nt + ns) * d / 2)
        case .timesformer:
            // Per block: attention over the frames at each position (projections, attention,
            // temporal_dense), attention over each frame with the CLS token repeated into it,
            // and one MLP over every token (Hugging Face's TimesformerLayer).
            let attentionTime = 4 * patches * d * d + 2 * patches * nt * d + patches * d * d
            let attentionSpace = 4 * nt * (ns + cls) * d * d + 2 * nt * (ns + cls) * (ns + cls) * d
            total += depth * (attentionTime + attentionSpace + 2 * (patches + cls) * d * m)
        }
        if let classes = options.classes { total += d * Double(classes) }
        return total
    }
}
