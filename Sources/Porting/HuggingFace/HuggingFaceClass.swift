/// A transformers model class that loads a layout's files with no missing or unexpected keys
/// (a schema's `huggingFaceClass`), and so the `config.json` a directory in that layout needs.
public enum HuggingFaceClass: String, Codable, Sendable, CaseIterable {
    case vitModel = "ViTModel"
    case vitForImageClassification = "ViTForImageClassification"
    case vivitModel = "VivitModel"
    case vivitForVideoClassification = "VivitForVideoClassification"
    case timesformerModel = "TimesformerModel"
    case timesformerForVideoClassification = "TimesformerForVideoClassification"

    /// The config family: `vit` or `vivit`, transformers' `model_type`.
    public var modelType: String {
        switch self {
        case .vitModel, .vitForImageClassification: "vit"
        case .vivitModel, .vivitForVideoClassification: "vivit"
        case .timesformerModel, .timesformerForVideoClassification: "timesformer"
        }
    }

    /// Whether the class is an image ViT's, whose config ``HuggingFaceViTConfig`` writes.
    public var isImageViT: Bool { modelType == "vit" }

    /// Whether the class is a ViViT's (Model 1), whose config ``HuggingFaceViViTConfig`` writes.
    public var isViViT: Bool { modelType == "vivit" }

    /// Whether the class ends in a classifier (`…ForImageClassification`, `…ForVideoClassification`).
    public var hasClassifier: Bool {
        self == .vitForImageClassification || self == .vivitForVideoClassification || self == .timesformerForVideoClassification
    }
}
