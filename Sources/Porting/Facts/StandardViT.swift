/// The standard ViT configurations, for the one case where the weights and their config say
/// nothing about the head count: a layout that stores attention as `[D, D]`, with no
/// `config.json` and no head count given.
///
/// Keyed by width, depth, MLP width and patch size together, never by the width alone: heads
/// are not width / 64 (ViT-H/14 is 1280 wide with 16 heads, not 20), and one width serves
/// several families (1536 is SigLIP 2 giant's, 16 heads, and DINOv2 giant's, 24). A model
/// whose dimensions match no entry, or entries that disagree, has no standard head count.
public enum StandardViT {
    public struct Entry: Sendable {
        public let name: String
        public let width, depth, mlpWidth, heads: Int
        /// Patch sizes the configuration is published with.
        public let patches: [Int]
    }

    /// From the ViT, DeiT, CLIP, SigLIP, ViT-22B and scaling-law papers and timm's definitions.
    public static let entries: [Entry] = [
        Entry(name: "ViT-Ti", width: 192, depth: 12, mlpWidth: 768, heads: 3, patches: [4, 8, 16, 32]),
        Entry(name: "ViT-S", width: 384, depth: 12, mlpWidth: 1536, heads: 6, patches: [8, 14, 16, 32]),
        Entry(name: "ViT-M", width: 512, depth: 12, mlpWidth: 2048, heads: 8, patches: [16, 32]),
        Entry(name: "ViT-B", width: 768, depth: 12, mlpWidth: 3072, heads: 12, patches: [8, 14, 16, 32]),
        Entry(name: "ViT-L", width: 1024, depth: 24, mlpWidth: 4096, heads: 16, patches: [14, 16, 32]),
        Entry(name: "ViT-H", width: 1280, depth: 32, mlpWidth: 5120, heads: 16, patches: [14, 16]),
        Entry(name: "ViT-g", width: 1408, depth: 40, mlpWidth: 6144, heads: 16, patches: [14]),
        Entry(name: "ViT-G", width: 1664, depth: 48, mlpWidth: 8192, heads: 16, patches: [14]),
        Entry(name: "ViT-e", width: 1792, depth: 56, mlpWidth: 15360, heads: 16, patches: [14]),
        Entry(name: "SigLIP So150m", width: 880, depth: 18, mlpWidth: 2320, heads: 16, patches: [16]),
        Entry(name: "SigLIP So400m", width: 1152, depth: 27, mlpWidth: 4304, heads: 16, patches: [14, 16]),
        Entry(name: "SigLIP 2 giant", width: 1536, depth: 40, mlpWidth: 6144, heads: 16, patches: [16]),
        Entry(name: "ViT-22B", width: 6144, depth: 48, mlpWidth: 24576, heads: 48, patches: [14]),
    ]

    /// The head count of the standard configuration with exactly these dimensions, named
    /// ("ViT-H/14"); nil when none matches or matches disagree.
    public static func heads(width: Int, depth: Int, mlpWidth: Int, patch: Int) -> (heads: Int, name: String)? {
        let matches = entries.filter {
            $0.width == width && $0.depth == depth && $0.mlpWidth == mlpWidth && $0.patches.contains(patch)
        }
        guard let first = matches.first, matches.allSatisfy({ $0.heads == first.heads }) else { return nil }
        return (first.heads, "\(first.name)/\(patch)")
    }
}
