import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

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
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let isDirectory = info.st_mode & S_IFMT == S_IFDIR
        let directory = isDirectory ? URL(fileURLWithPath: path) : URL(fileURLWithPath: path).deletingLastPathComponent()
        let file = directory.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: file), data.count < 1 << 20,
              let fields = try? JSONDecoder().decode(Fields.self, from: data) else { return nil }
        let config = SourceConfig(heads: fields.heads, activation: fields.activation, layerNormEpsilon: fields.layerNormEpsilon)
        return config.heads == nil && config.activation == nil ? nil : config
    }

    /// The fields read from `config.json`; any other content is ignored, and a field of another
    /// type than expected is left out on its own (a config whose `hidden_act` is not a string
    /// still gives its head count).
    private struct Fields: Decodable {
        var heads: Int?
        var activation: String?
        var layerNormEpsilon: Double?

        enum CodingKeys: String, CodingKey {
            case heads = "num_attention_heads", activation = "hidden_act", layerNormEpsilon = "layer_norm_eps"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            heads = try? container.decodeIfPresent(Int.self, forKey: .heads)
            activation = try? container.decodeIfPresent(String.self, forKey: .activation)
            layerNormEpsilon = try? container.decodeIfPresent(Double.self, forKey: .layerNormEpsilon)
        }
    }
}
