import TensorIO

/// What a canonical ViViT is: which of the four models, its tubelet, clip, width, depth,
/// heads, MLP, temporal transformer and classifier.
///
/// Inferred from canonical names and shapes only (no tensor reads, no `tubelet.config`), so it
/// holds for files Tubelet did not write. Two things the tensors cannot always say are never
/// guessed:
/// - Models 1 and 4 have the same tensors; without a CLS token (Model 4 forbids one) and
///   with an even head count, the weights fit both, and ``model`` is nil with both in
///   ``candidateModels``.
/// - Models 1, 3 and 4 store `nt·gh·gw` positions, one number: the split into temporal tokens
///   and patch grid (so frames and image size) comes from a config file or the caller
///   (``Clip``), and is nil otherwise. Model 2 stores both (its spatial and temporal
///   positional embeddings).
public struct ViViTArchitecture: Encodable, Sendable, Equatable {
    /// The model, when the tensors tell it apart.
    public var model: VideoModel?
    /// Every model the tensors fit (one when ``model`` is known).
    public var candidateModels: [VideoModel]
    /// The tubelet `[t, h, w]`: frames and pixels per token.
    public var tubelet: [Int]
    public var channels: Int
    /// Patch-token positions of the (spatio-temporal, or Model 2's spatial) positional
    /// embedding, the CLS position not counted.
    public var positions: Int
    /// Tokens along time (`nt`), patch grid (rows, columns), frames (`nt·t`, or the config's
    /// `num_frames`) and image size; nil when nothing says (see ``clipOrigin``).
    public var temporalTokens: Int?
    public var grid: [Int]?
    public var frames: Int?
    public var imageSize: [Int]?
    /// Where the clip came from: `.stored` for Model 2, a config file or the caller otherwise.
    public var clipOrigin: ValueOrigin?
    public var width: Int
    /// Encoder blocks (Model 2: the spatial transformer's).
    public var depth: Int
    /// Attention heads; nil when neither the weights nor anything beside them says (see
    /// ``HeadCount``; Model 2: the spatial transformer's).
    public var heads: Int?
    public var mlpWidth: Int
    /// Model 2's temporal transformer: blocks (0 for every other model, and for scenic's
    /// spatial-only baseline), heads (nil when not stored) and MLP width.
    public var temporalLayers: Int
    public var temporalHeads: Int?
    public var temporalMlpWidth: Int?
    public var classifier: ViTArchitecture.Classifier
    public var hasPreLogits: Bool
    /// Classes of `output_projection`, nil when there is none.
    public var classes: Int?

    /// What beside the tensors says how the positions split into time and space.
    public struct Clip: Sendable, Equatable {
        public var frames: Sourced<Int>?
        public var imageSize: Sourced<Int>?
        /// A config's `[t, h, w]`, checked against the kernel (a config of another model is no evidence).
        public var tubelet: Sourced<[Int]>?

        public init(frames: Sourced<Int>? = nil, imageSize: Sourced<Int>? = nil, tubelet: Sourced<[Int]>? = nil) {
            self.frames = frames
            self.imageSize = imageSize
            self.tubelet = tubelet
        }

        /// A Hugging Face `VivitConfig`'s `num_frames`, `image_size` and `tubelet_size`.
        public init(_ config: SourceConfig?) {
            self.init(frames: config?.frames, imageSize: config?.imageSize, tubelet: config?.tubelet)
        }
    }

    enum CodingKeys: String, CodingKey {
        case model, candidateModels = "candidate_models", tubelet, channels, positions
        case temporalTokens = "temporal_tokens", grid, frames, imageSize = "image_size", clipOrigin = "clip_origin"
        case width, depth, heads, mlpWidth = "mlp_width", temporalLayers = "temporal_layers"
        case temporalHeads = "temporal_heads", temporalMlpWidth = "temporal_mlp_width"
        case classifier, hasPreLogits = "has_pre_logits", classes, clipAssumed = "clip_assumed"
    }

    /// Unknown values are written as null, so a reader sees that they are not stored. Models
    /// by the paper's number; the clip's origin as text ("stored in the weights",
    /// "…/config.json, num_frames", "given").
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model?.number, forKey: .model)
        try container.encode(candidateModels.map(\.number), forKey: .candidateModels)
        try container.encode(tubelet, forKey: .tubelet)
        try container.encode(channels, forKey: .channels)
        try container.encode(positions, forKey: .positions)
        try container.encode(temporalTokens, forKey: .temporalTokens)
        try container.encode(grid, forKey: .grid)
        try container.encode(frames, forKey: .frames)
        try container.encode(imageSize, forKey: .imageSize)
        try container.encode(clipOrigin?.basis, forKey: .clipOrigin)
        try container.encode(clipOrigin?.isAssumed ?? false, forKey: .clipAssumed)
        try container.encode(width, forKey: .width)
        try container.encode(depth, forKey: .depth)
        try container.encode(heads, forKey: .heads)
        try container.encode(mlpWidth, forKey: .mlpWidth)
        try container.encode(temporalLayers, forKey: .temporalLayers)
        try container.encode(temporalHeads, forKey: .temporalHeads)
        try container.encode(temporalMlpWidth, forKey: .temporalMlpWidth)
        try container.encode(classifier, forKey: .classifier)
        try container.encode(hasPreLogits, forKey: .hasPreLogits)
        try container.encode(classes, forKey: .classes)
    }

    /// The canonical tensors are a ViViT's: a `[t, h, w, C, D]` tubelet kernel.
    public static func isViViT(_ tensors: [TensorInfo]) -> Bool {
        tensors.first { $0.name == "embedding/kernel" }?.shape.count == 5
    }

    /// Infers the architecture of a matched layout's model, with the head count as the match
    /// knows it and the clip from `clip` (a config file, the caller) where the tensors do not store it.
    public static func infer(_ match: LayoutMatch, file: String, clip: Clip = Clip()) throws(CheckpointError) -> ViViTArchitecture {
        try infer(match.canonicalTensors, file: file, heads: match.headCount, clip: clip)
    }

    /// Infers the architecture from canonical tensors; the head count is `heads`' (the query
    /// kernel's second axis is a placeholder when the count is unknown).
    public static func infer(_ tensors: [TensorInfo], file: String, heads: HeadCount,
                             clip: Clip = Clip()) throws(CheckpointError) -> ViViTArchitecture {
        var shapes: [String: [Int]] = [:]
        for info in tensors { shapes[info.name] = info.shape }
        func require(_ name: String, rank: Int) throws(CheckpointError) -> [Int] {
            guard let shape = shapes[name] else {
                throw CheckpointError(.malformed, file: file, tensor: name, "a ViViT needs this tensor")
            }
            guard shape.count == rank, shape.allSatisfy({ $0 > 0 }) else {
                throw CheckpointError(.malformed, file: file, tensor: name, "expected rank \(rank), found shape \(Shape.describe(shape))")
            }
            return shape
        }
        func blocks(_ stack: String) -> Int {
            let names = Set(tensors.compactMap { info -> Int? in
                guard info.name.hasPrefix(stack + "/encoderblock_") else { return nil }
                let rest = info.name.dropFirst((stack + "/encoderblock_").count)
                return Int(rest.prefix { $0 != "/" })
            })
            var depth = 0
            while names.contains(depth) { depth += 1 }
            return depth
        }
        let kernel = try require("embedding/kernel", rank: 5)
        let tubelet = Array(kernel[0..<3])
        let width = kernel[4]

        // The model, from its names.
        let isFactorisedEncoder = shapes["SpatialTransformer/posembed_input/pos_embedding"] != nil
        let isFactorisedSelfAttention = shapes["Transformer/encoderblock_0/MultiHeadDotProductAttention_space/query/kernel"] != nil
        let encoder = isFactorisedEncoder ? "SpatialTransformer" : "Transformer"
        let classToken = isFactorisedEncoder ? "cls_SpatialTransformer" : "cls"
        let hasClassToken = shapes[classToken] != nil
        let depth = blocks(encoder)
        guard depth > 0 else {
            throw CheckpointError(.malformed, file: file, tensor: "\(encoder)/encoderblock_0", "the model has no encoder blocks")
        }
        let attention = isFactorisedSelfAttention ? "MultiHeadDotProductAttention_space" : "MultiHeadDotProductAttention_0"
        let mlp = isFactorisedSelfAttention ? "MlpBlock" : "MlpBlock_0"
        let query = try require("\(encoder)/encoderblock_0/\(attention)/query/kernel", rank: 3)
        let mlpWidth = try require("\(encoder)/encoderblock_0/\(mlp)/Dense_0/kernel", rank: 2)[1]
        let headCount = heads == .unknown ? nil : query[1]
        let candidates: [VideoModel]
        if isFactorisedEncoder {
            candidates = [.factorisedEncoder]
        } else if isFactorisedSelfAttention {
            candidates = [.factorisedSelfAttention]
        } else if hasClassToken {
            candidates = [.spacetime]  // Model 4 forbids the token classifier
        } else if let headCount, headCount % 2 != 0 {
            candidates = [.spacetime]  // Model 4 splits the heads in halves
        } else {
            candidates = [.spacetime, .factorisedDotProduct]
        }

        // Positions and the clip.
        let posembName = "\(encoder)/posembed_input/pos_embedding"
        let posemb = try require(posembName, rank: 3)
        let positions = posemb[1] - (hasClassToken ? 1 : 0)
        guard positions > 0 else {
            throw CheckpointError(.malformed, file: file, tensor: posembName, "\(posemb[1]) positions leave none for the patch tokens")
        }
        if let stated = clip.tubelet, stated.value != tubelet {
            throw CheckpointError(.invalidRequest, file: file, tensor: "embedding/kernel",
                "\(stated.origin.basis) says the tubelet is \(stated.value.map(String.init).joined(separator: "x")), but the kernel's is \(tubelet.map(String.init).joined(separator: "x")), so it describes another model",
                fix: "Remove or correct that config")
        }
        var temporalLayers = 0, temporalHeads: Int?, temporalMlpWidth: Int?
        var split: (temporal: Int, side: Int, origin: ValueOrigin)?
        var spatialSide: Int?  // Model 2's grid, stored whether or not the frames are
        if isFactorisedEncoder {
            let side = Int(Double(positions).squareRoot().rounded())
            guard side * side == positions else {
                throw CheckpointError(.malformed, file: file, tensor: posembName,
                    "\(posemb[1]) positions\(hasClassToken ? " (one for the CLS token)" : "") do not form a square grid of patches")
            }
            spatialSide = side
            temporalLayers = blocks("TemporalTransformer")
            let temporalParts = ["TemporalTransformer/posembed_input/pos_embedding", "TemporalTransformer/encoder_norm/scale"]
            if let absent = temporalParts.first(where: { (shapes[$0] == nil) == (temporalLayers > 0) }) {
                // scenic builds all of the temporal transformer or none of it (spatial_only_baseline).
                throw CheckpointError(.malformed, file: file, tensor: absent, temporalLayers > 0
                    ? "the temporal transformer has \(temporalLayers) blocks but not this tensor"
                    : "the temporal transformer has this tensor but no blocks")
            }
            if temporalLayers > 0 {
                let temporalQuery = try require("TemporalTransformer/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel", rank: 3)
                temporalHeads = heads == .unknown ? nil : temporalQuery[1]
                temporalMlpWidth = try require("TemporalTransformer/encoderblock_0/MlpBlock_0/Dense_0/kernel", rank: 2)[1]
            }
            if let temporal = shapes["TemporalTransformer/posembed_input/pos_embedding"] {
                let count = (temporal.count == 3 ? temporal[1] : 0) - (shapes["cls_TemporalTransformer"] != nil ? 1 : 0)
                guard count > 0 else {
                    throw CheckpointError(.malformed, file: file, tensor: "TemporalTransformer/posembed_input/pos_embedding",
                        "expected [1, temporal tokens (+1 for cls_TemporalTransformer), \(width)], found \(Shape.describe(temporal))")
                }
                split = (count, side, .stored)
            } else if let frames = clip.frames {
                split = (frames.value / tubelet[0], side, frames.origin)
            }
        } else {
            split = try Self.split(positions: positions, tubelet: tubelet, clip: clip, file: file, tensor: posembName)
        }
        let classes = shapes["output_projection/kernel"].flatMap { $0.count == 2 ? $0[1] : nil }
        let side = split?.side ?? spatialSide
        var frames = split.map { $0.temporal * tubelet[0] }
        if let stated = clip.frames, let split, stated.value / tubelet[0] == split.temporal { frames = stated.value }
        return ViViTArchitecture(
            model: candidates.count == 1 ? candidates[0] : nil, candidateModels: candidates,
            tubelet: tubelet, channels: kernel[3], positions: positions,
            temporalTokens: split?.temporal, grid: side.map { [$0, $0] }, frames: frames,
            imageSize: side.map { [$0 * tubelet[1], $0 * tubelet[2]] }, clipOrigin: split?.origin ?? spatialSide.map { _ in .stored },
            width: width, depth: depth, heads: headCount, mlpWidth: mlpWidth,
            temporalLayers: temporalLayers, temporalHeads: temporalHeads, temporalMlpWidth: temporalMlpWidth,
            classifier: hasClassToken ? .token : .gap, hasPreLogits: shapes["pre_logits/kernel"] != nil, classes: classes)
    }

    /// Models 1, 3 and 4: `positions = nt·side²` split by the stated frames (`nt = frames // t`,
    /// scenic's floor) or image size (`side = size / h`); nil when neither is stated. A stated
    /// value that does not divide the positions is an error naming where it came from.
    static func split(positions: Int, tubelet: [Int], clip: Clip, file: String,
                      tensor: String) throws(CheckpointError) -> (temporal: Int, side: Int, origin: ValueOrigin)? {
        func refuse(_ what: String, _ origin: ValueOrigin) -> CheckpointError {
            CheckpointError(.invalidRequest, file: file, tensor: tensor,
                "\(what) (\(origin.basis)) does not fit the \(positions) space-time positions of the tubelet \(tubelet.map(String.init).joined(separator: "x"))",
                fix: "Give the clip the model was trained on")
        }
        var result: (temporal: Int, side: Int, origin: ValueOrigin)?
        if let frames = clip.frames {
            let temporal = frames.value / tubelet[0]
            let perFrame = temporal > 0 && positions % temporal == 0 ? positions / temporal : 0
            let side = Int(Double(perFrame).squareRoot().rounded())
            guard perFrame > 0, side * side == perFrame else { throw refuse("\(frames.value) frames", frames.origin) }
            result = (temporal, side, frames.origin)
        }
        if let size = clip.imageSize {
            let side = size.value / tubelet[1]
            // A config file states the size: squaring it must not overflow.
            let (area, overflow) = side.multipliedReportingOverflow(by: side)
            guard side > 0, !overflow, positions % area == 0 else { throw refuse("\(size.value) px", size.origin) }
            if let result, result.side != side { throw refuse("\(size.value) px with \(result.temporal * tubelet[0]) frames", size.origin) }
            result = result ?? (positions / area, side, size.origin)
        }
        return result
    }

    /// "ViViT Model 2 (factorised-encoder)", or "ViViT Model 1 or 4 (…)" when the tensors fit both.
    public var modelName: String {
        if let model { return model.title }
        let numbers = candidateModels.compactMap(\.number).map(String.init).joined(separator: " or ")
        let names = candidateModels.map(\.rawValue).joined(separator: " or ")
        return "ViViT Model \(numbers) (\(names): the same tensors)"
    }

    /// One line: "ViViT Model 2 (factorised-encoder), tubelet 2x16x16, 32 frames (16 temporal
    /// tokens), 224 px, width 768, depth 12, 12 heads, MLP 3072, 4 temporal layers, token
    /// classifier, 400 classes".
    public var summary: String {
        var parts = [modelName, "tubelet " + tubelet.map(String.init).joined(separator: "x")]
        if let frames, let temporalTokens, let imageSize, let clipOrigin {
            let assumed = clipOrigin.isAssumed ? ", assumed" : ""
            let pixels = imageSize[0] == imageSize[1] ? "\(imageSize[0]) px" : "\(imageSize[0])x\(imageSize[1]) px"
            let source = clipOrigin == .stored ? "" : " (\(clipOrigin.basis)\(assumed))"
            parts.append("\(frames) frames (\(temporalTokens) temporal tokens), \(pixels)\(source)")
        } else if model == .factorisedEncoder, let grid {
            parts.append("\(grid[0] * tubelet[1]) px, frames not stored (no temporal positional embedding)")
        } else {
            parts.append("frames and image size not stored (\(positions) space-time positions)")
        }
        parts.append("width \(width), depth \(depth)")
        parts.append(heads.map { "\($0) \($0 == 1 ? "head" : "heads")" } ?? "heads not stored")
        parts.append("MLP \(mlpWidth)")
        if model == .factorisedEncoder {
            var temporal = "\(temporalLayers) temporal \(temporalLayers == 1 ? "layer" : "layers")"
            if temporalLayers > 0, let temporalMlpWidth {
                temporal += " (\(temporalHeads.map { "\($0) heads" } ?? "heads not stored"), MLP \(temporalMlpWidth))"
            }
            parts.append(temporal)
        }
        parts.append("\(classifier.rawValue) classifier")
        if hasPreLogits { parts.append("pre_logits") }
        parts.append(classes.map { "\($0) classes" } ?? "no classifier")
        return parts.joined(separator: ", ")
    }
}
