/// Canonical names for tensors that scenic's ViT does not have but that a ViViT can absorb
/// exactly (or does not need), so a schema can map a family's extra tensors somewhere and
/// ``RewrittenSource`` can fold or drop them before inflation.
///
/// They never reach an inflated model: the inflater refuses any canonical tensor it has no
/// place for, so a consumer that skips the rewrites fails loudly rather than losing them.
public enum CanonicalExtension {
    /// LayerScale after the attention of block `block` (timm `ls1.gamma`, Hugging Face
    /// Dinov2 `layer_scale1.lambda1`): `[D]`, multiplies the attention's output.
    public static func attentionScale(block: Int) -> String {
        "Transformer/encoderblock_\(block)/LayerScale_0/scale"
    }

    /// LayerScale after the MLP of block `block` (`ls2.gamma`, `layer_scale2.lambda1`).
    public static func mlpScale(block: Int) -> String {
        "Transformer/encoderblock_\(block)/LayerScale_1/scale"
    }

    /// The masked-image-modelling token (DINOv2, Hugging Face Dinov2 `embeddings.mask_token`),
    /// used only in pre-training to replace masked patches; inference never reads it.
    public static let maskToken = "mask_token"

    /// Whether `name` is one of these extension names.
    public static func contains(_ name: String) -> Bool {
        name == maskToken || name.hasSuffix("/LayerScale_0/scale") || name.hasSuffix("/LayerScale_1/scale")
    }
}
