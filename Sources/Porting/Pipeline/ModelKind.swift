import TensorIO

/// What kind of model a recognised checkpoint holds, for telling two files apart before
/// comparing them tensor by tensor: an image ViT, or a ViViT of one of the four models. A ViT
/// and a ViViT (or two ViViT models) share few canonical names and no shapes, so a list of
/// every tensor would hide the one difference that matters.
public enum ModelKind: Sendable, Equatable {
    /// An image ViT.
    case image(ViTArchitecture)
    /// A ViViT: the models its tensors fit.
    case video(ViViTArchitecture)

    /// The kind of the model `match` found in `path` (a config.json beside it gives a ViViT's
    /// clip); nil when its architecture cannot be inferred.
    static func of(_ match: LayoutMatch, path: String) -> ModelKind? {
        if ViViTArchitecture.isViViT(match.canonicalTensors) {
            return (try? ViViTArchitecture.infer(match, file: path, clip: ViViTArchitecture.Clip(SourceConfig.find(for: path)))).map(ModelKind.video)
        }
        return (try? ViTArchitecture.infer(match, file: path)).map(ModelKind.image)
    }

    /// "a ViViT Model 1 (spacetime) with tubelet 2x16x16 and 8 frames", "a ViT-B/16 image model at 224 px".
    public var description: String {
        switch self {
        case .image(let vit):
            let pixels = vit.imageSize[0] == vit.imageSize[1] ? "\(vit.imageSize[0]) px" : "\(vit.imageSize[0])x\(vit.imageSize[1]) px"
            return "a \(vit.modelName) image model at \(pixels)"
        case .video(let vivit):
            let tubelet = vivit.tubelet.map(String.init).joined(separator: "x")
            let clip = vivit.frames.map { "\($0) frames" } ?? "\(vivit.positions) space-time positions"
            return "a \(vivit.modelName) with tubelet \(tubelet) and \(clip)"
        }
    }

    /// Why `first` and `second` cannot be compared tensor by tensor, with what to do instead;
    /// nil when they are the same kind (two ViTs, or ViViTs that fit a common model).
    static func difference(_ first: ModelKind, _ second: ModelKind) -> String? {
        switch (first, second) {
        case (.image, .image):
            return nil
        case (.video(let a), .video(let b)):
            guard Set(a.candidateModels).isDisjoint(with: b.candidateModels) else { return nil }
            return "A is \(first.description), B is \(second.description): different ViViT models share no encoder layout; compare like with like"
        case (.video, .image):
            return "A is \(first.description), B is \(second.description); compare like with like, or inflate B first"
        case (.image, .video):
            return "A is \(first.description), B is \(second.description); compare like with like, or inflate A first"
        }
    }
}
