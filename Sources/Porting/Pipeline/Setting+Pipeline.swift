import TensorIO

/// The settings of the pipeline (``Pipeline``, ``InflationOptions``, ``ModelValues``), as errors
/// and reports name them.
extension Setting {
    /// A layout schema file added to the built-in ones (``SchemaLibrary/add(file:)``).
    public static let schemaFile = Setting(rawValue: "SchemaLibrary.add(file:)")
    /// The layout a source is read in, when detection should not choose it.
    public static let sourceLayout = Setting(rawValue: "Pipeline.open(_:layout:)")
    /// The attention head count given from outside the weights (``ModelValues/heads``).
    public static let heads = Setting(rawValue: "ModelOverrides.heads")
    /// The MLP activation given from outside the weights (``ModelValues/activation``).
    public static let activation = Setting(rawValue: "ModelOverrides.activation")
    /// The LayerNorm epsilon given from outside the weights (``ModelValues/layerNormEpsilon``).
    public static let layerNormEpsilon = Setting(rawValue: "ModelOverrides.layerNormEpsilon")
    /// Glob patterns of tensors a conversion leaves out (``TensorExclusion/patterns``).
    public static let exclude = Setting(rawValue: "TensorExclusion.patterns")
    /// Leaving out the image classifier (``TensorExclusion/dropHead``).
    public static let dropHead = Setting(rawValue: "TensorExclusion.dropHead")
    /// ``InflationOptions/model``.
    public static let model = Setting(rawValue: "InflationOptions.model")
    /// ``InflationOptions/frames``.
    public static let frames = Setting(rawValue: "InflationOptions.frames")
    /// The tubelet size (``InflationOptions/tubeletFrames`` and its height and width).
    public static let tubelet = Setting(rawValue: "InflationOptions.tubelet")
    /// The input size (``InflationOptions/imageHeight`` and ``InflationOptions/imageWidth``).
    public static let imageSize = Setting(rawValue: "InflationOptions.imageSize")
    /// ``InflationOptions/classes``.
    public static let classes = Setting(rawValue: "InflationOptions.classes")
    /// ``InflationOptions/classifier``.
    public static let classifier = Setting(rawValue: "InflationOptions.classifier")
    /// ``InflationOptions/positionalEmbedding``.
    public static let positionalEmbedding = Setting(rawValue: "InflationOptions.positionalEmbedding")
    /// ``InflationOptions/temporalLayers``.
    public static let temporalLayers = Setting(rawValue: "InflationOptions.temporalLayers")
    /// ``InflationOptions/temporalAttention``.
    public static let temporalAttention = Setting(rawValue: "InflationOptions.temporalAttention")
    /// The input normalisation a TimeSformer's `preprocessor_config.json` states (``InputNormalisation``).
    public static let imageNormalisation = Setting(rawValue: "InputNormalisation")
    /// ``InflationOptions/copySpatialClassToken``.
    public static let copySpatialClassToken = Setting(rawValue: "InflationOptions.copySpatialClassToken")
    /// ``InflationOptions/keepPreLogits``.
    public static let keepPreLogits = Setting(rawValue: "InflationOptions.keepPreLogits")
}

extension SettingText {
    /// The head count is needed and nothing gives it.
    public static let headCountFix: SettingText =
        "Pass \(setting: .heads) N, or put the model's config.json (Hugging Face's or timm's) beside the weights"
    /// The target layout has no place for some of the source's tensors.
    public static let unplacedTensorsFix: SettingText =
        "Leave them out with \(setting: .dropHead) (the classifier, and pre_logits where the target has no place for it) or \(setting: .exclude) GLOB, choose a layout that has them, or convert without \(setting: .targetLayout) to keep the file's own names"
}
