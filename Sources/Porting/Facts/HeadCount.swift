/// How many attention heads a matched layout's model has, and how that is known.
///
/// Layouts that split attention by head (`[D, H, hd]` kernels: vision_transformer, scenic,
/// big_vision) store it; layouts that store attention as `[D, D]` (timm, Hugging Face, Keras)
/// do not, and the number must come from a config file, the caller or an unambiguous standard
/// configuration. It is never width / 64: ViT-H/14 is 1280 wide with 16 heads.
public enum HeadCount: Sendable, Equatable {
    /// The layout's shapes say it.
    case stored(Int)
    /// The layout does not store it; this value came from outside the tensors.
    case resolved(Sourced<Int>)
    /// Nothing says. The canonical view splits attention into one head as a placeholder: a
    /// reshape that is exact for writing `[D, D]` layouts again, and meaningless for anything
    /// whose meaning depends on the head count (split kernels, a Hugging Face config, Model 4).
    case unknown

    /// The number of heads, when known.
    public var value: Int? {
        switch self {
        case .stored(let heads): heads
        case .resolved(let heads): heads.value
        case .unknown: nil
        }
    }

    /// The value with its origin, when known.
    public var sourced: Sourced<Int>? {
        switch self {
        case .stored(let heads): Sourced(heads, .stored)
        case .resolved(let heads): heads
        case .unknown: nil
        }
    }
}
