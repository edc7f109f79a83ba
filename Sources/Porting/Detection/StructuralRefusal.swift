import TensorIO

/// Why a checkpoint cannot become a ViViT exactly, named by its structure.
///
/// When no layout fits a file, "the closest layout explains 59 %" tells the user nothing they
/// can act on. Most such files are ViTs with a part that ViViT (scenic's, or Hugging Face's
/// `VivitModel`) has no place for, and the part is recognisable from the tensor names alone:
/// a LayerNorm before the first block, register or distillation tokens, an attention-pool
/// head, pooling before the final norm, relative position bias, rotary embeddings, a gated
/// MLP. Saying which, in one line, tells the user that no flag will help and why. A gate
/// packed into `fc1` shows only in shapes, in the file and, once a layout has matched, in the
/// canonical tensors. Rotary embeddings (EVA-02) keep their tables in non-persistent buffers,
/// so a state dict holds no tensor that shows them; such a model is refused for its other
/// parts (EVA-02: `fc_norm`, the gated MLP).
public struct StructuralRefusal: Sendable, Equatable {
    /// The structure, for people: "register tokens".
    public let structure: String
    /// One line: the structure, the tensors that show it, and why ViViT cannot express it.
    public let message: String
    /// The file's tensors that show it.
    public let tensors: [String]
    public let fix: String?

    /// A known structure, recognised by name components of the file's tensors.
    struct Pattern: Sendable {
        let structure: String
        let why: String
        /// Matches a tensor name's `.`- or `/`-separated components.
        let matches: @Sendable ([Substring]) -> Bool
    }

    static let gatedMLP = Pattern(structure: "a gated MLP (SwiGLU: EVA-02, DINOv2-giant)",
                                  why: "ViViT's MLP is dense → GELU → dense, with no gate") { parts in
        parts.contains { ["fc1_g", "fc1_x", "w12", "w3", "weights_in", "weights_out", "gate_proj"].contains($0) }
    }

    static let patterns: [Pattern] = [
        Pattern(structure: "a LayerNorm before the first block (CLIP's norm_pre / pre_layrnorm)",
                why: "ViViT normalises only inside the blocks and after the last one") { parts in
            parts.contains { $0 == "norm_pre" || $0 == "pre_layrnorm" || $0 == "ln_pre" }
        },
        Pattern(structure: "register tokens",
                why: "ViViT's sequence holds the CLS token and the patches only, so the registers' extra tokens have no place") { parts in
            parts.contains { $0 == "reg_token" || $0 == "register_tokens" }
        },
        Pattern(structure: "a distillation token (DeiT distilled)",
                why: "ViViT has one CLS token and one head; the distillation token and its head have no place") { parts in
            parts.contains { $0 == "dist_token" || $0 == "head_dist" || $0 == "distillation_token" || $0 == "distillation_classifier" }
        },
        Pattern(structure: "an attention-pool (MAP) head instead of a CLS token (SigLIP)",
                why: "ViViT pools by a CLS token or by averaging, not by attention with a learned probe") { parts in
            parts.contains { $0 == "attn_pool" || $0 == "MAPHead_0" || $0 == "probe" }
        },
        Pattern(structure: "pooling before the final norm (fc_norm)",
                why: "the model averages the tokens and then normalises the average, where ViViT normalises every token and then pools") { parts in
            parts.contains { $0 == "fc_norm" }
        },
        Pattern(structure: "relative position bias (BEiT)",
                why: "ViViT's attention has no position bias; its positions are absolute, added once to the tokens") { parts in
            parts.contains { $0 == "relative_position_bias_table" || $0 == "relative_position_index" || $0 == "rel_pos_bias" }
        },
        Pattern(structure: "rotary position embeddings (EVA-02)",
                why: "ViViT's attention rotates no queries or keys; its positions are absolute, added once to the tokens") { parts in
            parts.contains { $0 == "rope" || $0 == "freqs_cos" || $0 == "freqs_sin" }
        },
        gatedMLP,
        Pattern(structure: "normalised queries and keys (qk_norm)",
                why: "ViViT's attention applies no LayerNorm to queries and keys") { parts in
            parts.contains { $0 == "q_norm" || $0 == "k_norm" }
        },
        Pattern(structure: "a LayerNorm inside the attention or MLP (scale_attn_norm / scale_mlp_norm)",
                why: "ViViT's blocks normalise only before the attention and before the MLP") { parts in
            parts.count >= 2 && parts[parts.count - 2] == "norm" && parts.dropLast(2).last.map { $0 == "attn" || $0 == "mlp" } == true
        },
    ]

    /// The structures a file's tensor names show, or nil when none is known.
    public static func recognise(_ tensors: [TensorInfo]) -> StructuralRefusal? {
        var found: [(Pattern, [String])] = []
        for pattern in patterns {
            let names = tensors.map(\.name).filter { name in
                pattern.matches(name.split(whereSeparator: { $0 == "." || $0 == "/" }))
            }
            if !names.isEmpty { found.append((pattern, names)) }
        }
        // A gate packed into `fc1` shows only in shapes: `fc1` gives twice the features `fc2`
        // takes (timm's GluMlp: EVA-02, DINOv2-giant). PyTorch kernels are [out, in].
        var shapes: [String: [Int]] = [:]
        for info in tensors { shapes[info.name] = info.shape }
        let packed = tensors.filter { info in
            guard info.name.hasSuffix("fc1.weight"), info.shape.count == 2,
                  let second = shapes[String(info.name.dropLast("fc1.weight".count)) + "fc2.weight"], second.count == 2 else { return false }
            return info.shape[0] == 2 * second[1]
        }.map(\.name)
        if !packed.isEmpty && !found.contains(where: { $0.0.structure == gatedMLP.structure }) {
            found.append((gatedMLP, packed))
        }
        guard let first = found.first else { return nil }
        func example(_ names: [String]) -> String {
            names.count == 1 ? names[0] : "\(names[0]) and \(names.count - 1) more"
        }
        let structures = found.map { "\($0.0.structure) [\(example($0.1))]" }.joined(separator: "; ")
        return StructuralRefusal(
            structure: first.0.structure,
            message: "not a ViT that a ViViT can express exactly: it has \(structures); \(first.0.why)",
            tensors: found.flatMap(\.1), fix: nil)
    }

    /// A structure shown by canonical shapes once a layout has matched: an MLP whose first
    /// layer is twice as wide as its second takes (a SwiGLU with gate and value packed into
    /// one `fc1`, as timm stores DINOv2-giant).
    public static func recognise(canonical tensors: [TensorInfo]) -> StructuralRefusal? {
        var shapes: [String: [Int]] = [:]
        for info in tensors { shapes[info.name] = info.shape }
        var block = 0
        while let first = shapes["Transformer/encoderblock_\(block)/MlpBlock_0/Dense_0/kernel"] {
            let name = "Transformer/encoderblock_\(block)/MlpBlock_0/Dense_1/kernel"
            if let second = shapes[name], first.count == 2, second.count == 2, first[1] != second[0] {
                let packed = first[1] == 2 * second[0]
                let structure = packed ? "a gated MLP (SwiGLU) with gate and value packed into its first layer" : "an MLP whose layers do not chain"
                return StructuralRefusal(
                    structure: structure,
                    message: "not a ViT that a ViViT can express exactly: it has \(structure) (block \(block): the first layer gives \(first[1]) features, the second takes \(second[0])); ViViT's MLP is dense → GELU → dense, with no gate",
                    tensors: [name], fix: nil)
            }
            block += 1
        }
        return nil
    }
}
