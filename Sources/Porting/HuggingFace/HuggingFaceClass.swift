/// A transformers model class that loads a layout's files with no missing or unexpected keys
/// (a schema's `huggingFaceClass`), and so the `config.json` a directory in that layout needs.
public enum HuggingFaceClass: String, Codable, Sendable, CaseIterable {
    case vitModel = "ViTModel"
    case vitForImageClassification = "ViTForImageClassification"
    case vivitForVideoClassification = "VivitForVideoClassification"
    case timesformerModel = "TimesformerModel"
    case timesformerForVideoClassification = "TimesformerForVideoClassification"

    /// The config family: `vit` or `vivit`, transformers' `model_type`.
    public var modelType: String {
        switch self {
        case .vitModel, .vitForImageClassification: "vit"
        case .vivitForVideoClassification: "vivit"
        case .timesformerModel, .timesformerForVideoClassification: "timesformer"
        }
    }

    /// Whether the class is an image ViT's, whose config ``HuggingFaceViTConfig`` writes.
    public var isImageViT: Bool { modelType == "vit" }
}
