import TensorIO

/// What every Hugging Face config states that weights do not store: the MLP activation and
/// the LayerNorm epsilon, from ``ModelValues`` (a config beside the weights, the caller, or the
/// layout family's values, marked as assumed). A value none of these gives is refused.
enum HuggingFaceValues {
    static func activationAndEpsilon(_ values: ModelValues, file: String) throws(CheckpointError) -> (String, Double) {
        guard let activation = values.activation?.value else {
            throw CheckpointError(.invalidRequest, file: file,
                "a Hugging Face config states the MLP activation, which neither the weights, a config.json beside them nor the layout says",
                fix: "Pass \(setting: .activation) (gelu, gelu_pytorch_tanh, gelu_fast, quick_gelu…)")
        }
        guard let epsilon = values.layerNormEpsilon?.value else {
            throw CheckpointError(.invalidRequest, file: file,
                "a Hugging Face config states the LayerNorm epsilon, which neither the weights, a config.json beside them nor the layout says",
                fix: "Pass \(setting: .layerNormEpsilon) (1e-6 for most ViT families)")
        }
        return (activation, epsilon)
    }

    /// `torch_dtype` / `dtype` of a config: the dtype the weights are written in.
    static func torchDType(_ dtype: DType) -> String {
        dtype == .float16 ? "float16" : dtype == .bfloat16 ? "bfloat16" : "float32"
    }

    /// `id2label` and `label2id` for `classes` anonymous labels, as transformers names them.
    static func labels(_ classes: Int) -> [String: JSONLiteral] {
        labels(anonymousLabels(classes))
    }

    /// `LABEL_0` … : transformers' names for classes nothing names.
    static func anonymousLabels(_ classes: Int) -> [String] {
        (0..<classes).map { "LABEL_\($0)" }
    }

    /// `id2label` and `label2id` for `labels` in index order (a label named twice keeps its
    /// first index in `label2id`).
    static func labels(_ labels: [String]) -> [String: JSONLiteral] {
        var label2id: [String: JSONLiteral] = [:]
        for (index, label) in labels.enumerated() where label2id[label] == nil { label2id[label] = .integer(index) }
        return [
            "id2label": .object(Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0.offset), .string($0.element)) })),
            "label2id": .object(label2id),
        ]
    }
}
