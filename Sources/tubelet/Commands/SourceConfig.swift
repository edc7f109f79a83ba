import Foundation

/// What a Hugging Face `config.json` beside the weights (or in the model directory) says about
/// the model: the head count, which weights stored as `[D, D]` do not, and the activation and
/// LayerNorm epsilon to carry into a converted model.
struct SourceConfig {
    var heads: Int?
    var activation: String?
    var layerNormEpsilon: Double?

    /// The config of the weights at `path`: `path/config.json` for a model directory,
    /// `config.json` beside a weights file; nil when there is none or it is not a model config.
    static func find(for path: String) -> SourceConfig? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        let directory = isDirectory.boolValue ? URL(fileURLWithPath: path) : URL(fileURLWithPath: path).deletingLastPathComponent()
        let file = directory.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: file), data.count < 1 << 20,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        let config = SourceConfig(heads: object["num_attention_heads"] as? Int, activation: object["hidden_act"] as? String,
                                  layerNormEpsilon: (object["layer_norm_eps"] as? NSNumber)?.doubleValue)
        return config.heads == nil && config.activation == nil ? nil : config
    }
}
