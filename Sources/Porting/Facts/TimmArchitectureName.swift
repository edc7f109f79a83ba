/// What a timm architecture name (`vit_huge_patch14_clip_224`, `deit3_small_patch16_384`,
/// `vit_giant_patch14_dinov2`) says about the model, for a timm Hub `config.json` that has no
/// `model_args`: timm's own model definitions fix the head count per size word.
///
/// A name is evidence only where it is unambiguous: the size word is known, and the width the
/// config states (if any) is that size's width. Anything else gives nil, never a guess.
public enum TimmArchitectureName {
    /// timm's size words: width and heads (`vision_transformer.py`, `deit.py`).
    static let sizes: [String: (width: Int, heads: Int)] = [
        "wee": (256, 4), "pwee": (256, 4), "xsmall": (256, 4), "little": (320, 5),
        "tiny": (192, 3), "small": (384, 6), "medium": (512, 8), "mediumd": (512, 8),
        "betwixt": (640, 10), "base": (768, 12), "large": (1024, 16), "huge": (1280, 16),
        "giant": (1408, 16), "gigantic": (1664, 16), "so150m": (880, 16), "so400m": (1152, 16),
        "giantopt": (1536, 16),
    ]

    /// Families whose size words mean these widths and head counts.
    static let families: Set<String> = ["vit", "deit", "deit3", "flexivit"]

    /// The head count the name fixes; nil when the name is not a known ViT size, or `width`
    /// (the config's `num_features` or `model_args.embed_dim`) is not that size's width.
    public static func heads(of architecture: String, width: Int?) -> Int? {
        let words = architecture.split(separator: "_").map(String.init)
        guard words.count >= 2, families.contains(words[0]), var size = sizes[words[1]] else { return nil }
        // DINOv2's giant is 1536 wide with 24 heads of 64 (timm: vit_giant_patch14_dinov2),
        // unlike ViT-g/14's 1408 with 16.
        if words[1] == "giant", words.contains(where: { $0.hasPrefix("dinov2") }) { size = (1536, 24) }
        if let width, width != size.width { return nil }
        return size.heads
    }

    /// The activation the name fixes, as a Hugging Face `hidden_act`; nil when it is timm's
    /// default (the family default applies, recorded as assumed).
    public static func activation(of architecture: String) -> String? {
        architecture.split(separator: "_").contains("quickgelu") ? "quick_gelu" : nil
    }

    /// timm's `act_layer` names as Hugging Face's `hidden_act` names for the same function.
    public static func huggingFaceActivation(_ timmName: String) -> String {
        switch timmName {
        case "gelu_tanh": "gelu_pytorch_tanh"
        case "quick_gelu": "quick_gelu"
        case "swish": "silu"
        default: timmName
        }
    }
}
