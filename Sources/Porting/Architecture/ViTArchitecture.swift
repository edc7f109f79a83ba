import TensorIO

/// What a canonical ViT is: patch size, grid, width, depth, heads, MLP width, classifier.
///
/// Inferred from canonical names and shapes only, so it costs no tensor reads.
public struct ViTArchitecture: Codable, Sendable, Equatable {
    /// How the image representation is pooled for the classifier.
    public enum Classifier: String, Codable, Sendable {
        /// A CLS token (`cls`), with a position in the positional embedding.
        case token
        /// Global average pooling: no CLS token.
        case gap
    }

    public var patchSize: [Int]
    public var channels: Int
    /// Patch grid (rows, columns) the positional embedding covers.
    public var grid: [Int]
    public var imageSize: [Int]
    public var width: Int
    public var depth: Int
    /// Attention heads; nil when neither the weights nor anything beside them says (a layout
    /// that stores attention as `[D, D]`, with no config, no head count given and dimensions
    /// that match no standard configuration). See ``HeadCount``.
    public var heads: Int?
    public var mlpWidth: Int
    public var classifier: Classifier
    public var hasPreLogits: Bool
    /// Classes of the image head, nil when there is no head.
    public var classes: Int?

    enum CodingKeys: String, CodingKey {
        case patchSize = "patch_size", channels, grid, imageSize = "image_size", width, depth, heads
        case mlpWidth = "mlp_width", classifier, hasPreLogits = "has_pre_logits", classes
    }

    /// Written with `"heads": null` when unknown, so a reader sees that it is not stored
    /// rather than a missing field.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(patchSize, forKey: .patchSize)
        try container.encode(channels, forKey: .channels)
        try container.encode(grid, forKey: .grid)
        try container.encode(imageSize, forKey: .imageSize)
        try container.encode(width, forKey: .width)
        try container.encode(depth, forKey: .depth)
        try container.encode(heads, forKey: .heads)
        try container.encode(mlpWidth, forKey: .mlpWidth)
        try container.encode(classifier, forKey: .classifier)
        try container.encode(hasPreLogits, forKey: .hasPreLogits)
        try container.encodeIfPresent(classes, forKey: .classes)
    }

    /// Infers the architecture of a matched layout's model, with the head count as the match knows it.
    public static func infer(_ match: LayoutMatch, file: String) throws(CheckpointError) -> ViTArchitecture {
        try infer(match.canonicalTensors, file: file, heads: match.headCount)
    }

    /// Infers the architecture from canonical tensors; the head count is `heads`' (the query
    /// kernel's second axis is a placeholder when the count is unknown).
    public static func infer(_ tensors: [TensorInfo], file: String, heads: HeadCount) throws(CheckpointError) -> ViTArchitecture {
        var shapes: [String: [Int]] = [:]
        for info in tensors { shapes[info.name] = info.shape }
        func require(_ name: String, rank: Int) throws(CheckpointError) -> [Int] {
            guard let shape = shapes[name] else {
                throw CheckpointError(.malformed, file: file, tensor: name, "a ViT needs this tensor")
            }
            guard shape.count == rank else {
                throw CheckpointError(.malformed, file: file, tensor: name, "expected rank \(rank), found shape \(Shape.describe(shape))")
            }
            return shape
        }
        if let tubelet = shapes["embedding/kernel"], tubelet.count == 5 {
            // A ViViT (Model 1 or 4 in scenic's tree, or Hugging Face's) matches the image
            // names; its [t, h, w, C, D] tubelet kernel says what it is, and its tree which model.
            let model = (try? ViViTArchitecture.infer(tensors, file: file, heads: heads))?.modelName ?? "ViViT"
            throw CheckpointError(.invalidRequest, file: file, tensor: "embedding/kernel",
                "this is already a \(model) (a \(Shape.describe(tubelet)) tubelet kernel), not an image ViT; inflation starts from an image ViT",
                fix: "Convert it to change its format or layout, or inflate the image ViT it came from")
        }
        if let time = shapes["Transformer/time_embedding"] {
            // A TimeSformer keeps the ViT's 2-D patch kernel; its time embeddings say what it is.
            throw CheckpointError(.invalidRequest, file: file, tensor: "Transformer/time_embedding",
                "this is already a TimeSformer (time embeddings \(Shape.describe(time))), not an image ViT; inflation starts from an image ViT",
                fix: "Convert it to change its format, or inflate the image ViT it came from")
        }
        let kernel = try require("embedding/kernel", rank: 4)
        let width = kernel[3]
        let posemb = try require("Transformer/posembed_input/pos_embedding", rank: 3)
        let hasClassToken = shapes["cls"] != nil
        let patchTokens = posemb[1] - (hasClassToken ? 1 : 0)
        let side = Int(Double(max(patchTokens, 0)).squareRoot().rounded())
        guard patchTokens > 0, side * side == patchTokens else {
            throw CheckpointError(.malformed, file: file, tensor: "Transformer/posembed_input/pos_embedding",
                "\(posemb[1]) positions\(hasClassToken ? " (one for the CLS token)" : "") do not form a square grid of patches")
        }
        var depth = 0
        while shapes["Transformer/encoderblock_\(depth)/LayerNorm_0/scale"] != nil { depth += 1 }
        guard depth > 0 else {
            throw CheckpointError(.malformed, file: file, tensor: "Transformer/encoderblock_0", "the model has no encoder blocks")
        }
        let query = try require("Transformer/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel", rank: 3)
        let mlp = try require("Transformer/encoderblock_0/MlpBlock_0/Dense_0/kernel", rank: 2)
        let head = shapes["output_projection/kernel"]
        return ViTArchitecture(
            patchSize: [kernel[0], kernel[1]], channels: kernel[2], grid: [side, side],
            imageSize: [side * kernel[0], side * kernel[1]], width: width, depth: depth, heads: heads == .unknown ? nil : query[1],
            mlpWidth: mlp[1], classifier: hasClassToken ? .token : .gap,
            hasPreLogits: shapes["pre_logits/kernel"] != nil, classes: head.flatMap { $0.count == 2 ? $0[1] : nil })
    }

    /// The head count, or an error saying that nothing gives it, for whatever depends on it.
    /// - Parameter purpose: what needs it ("Model 4", "a Hugging Face config"), for the message.
    public func requireHeads(file: String, purpose: String) throws(CheckpointError) -> Int {
        guard let heads else {
            throw CheckpointError(.invalidRequest, file: file,
                "\(purpose) depends on the number of attention heads, which this layout does not store (attention is [\(width), \(width)]) and no config file gives; \(width) wide, \(depth) blocks and MLP \(mlpWidth) match no standard configuration",
                fix: SettingText.headCountFix)
        }
        return heads
    }

    /// The standard name when the size is one (ViT-B/16), otherwise the dimensions.
    public var modelName: String {
        let standard: [String: (Int, Int, Int, Int)] = [
            "Ti": (192, 12, 3, 768), "S": (384, 12, 6, 1536), "B": (768, 12, 12, 3072),
            "L": (1024, 24, 16, 4096), "H": (1280, 32, 16, 5120), "g": (1408, 40, 16, 6144),
        ]
        let patch = patchSize[0] == patchSize[1] ? "\(patchSize[0])" : "\(patchSize[0])x\(patchSize[1])"
        if let heads, let size = standard.first(where: { $0.value == (width, depth, heads, mlpWidth) })?.key {
            return "ViT-\(size)/\(patch)"
        }
        let headText = heads.map { "\($0) \($0 == 1 ? "head" : "heads")" } ?? "heads not stored"
        return "ViT/\(patch) (width \(width), depth \(depth), \(headText), MLP \(mlpWidth))"
    }

    /// "ViT-B/16, 224 px, token classifier, 1000 classes".
    public var summary: String {
        let pixels = imageSize[0] == imageSize[1] ? "\(imageSize[0]) px" : "\(imageSize[0])x\(imageSize[1]) px"
        var parts = [modelName, pixels, "\(classifier.rawValue) classifier"]
        if hasPreLogits { parts.append("pre_logits") }
        parts.append(classes.map { "\($0) classes" } ?? "no head")
        return parts.joined(separator: ", ")
    }
}
