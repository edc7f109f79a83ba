import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// What a `config.json` beside the weights (or in the model directory) says about the model
/// that the weights may not: the head count, the activation and the LayerNorm epsilon.
///
/// Two kinds are read. Hugging Face's (`num_attention_heads`, `hidden_act`, `layer_norm_eps`),
/// and timm's Hub config (`architecture` such as `vit_huge_patch14_clip_224`, `model_args`,
/// `num_features`), whose head count comes from `model_args.num_heads` or else from the
/// architecture name (``TimmArchitectureName``). Every value carries the file and field it came from.
public struct SourceConfig: Sendable, Equatable {
    /// The config file read.
    public var path: String
    public var heads: Sourced<Int>?
    public var activation: Sourced<String>?
    public var layerNormEpsilon: Sourced<Double>?
    /// The width and depth the config describes, to check that it is the weights' own config
    /// (a config.json of another model in the same folder is no evidence).
    public var width: Sourced<Int>?
    public var depth: Sourced<Int>?
    /// A video model's clip (Hugging Face `VivitConfig`: `num_frames`, `image_size`,
    /// `tubelet_size` as `[t, h, w]`), which a ViViT's weights store only as a product of
    /// temporal tokens and patch grid.
    public var frames: Sourced<Int>?
    public var imageSize: Sourced<Int>?
    public var tubelet: Sourced<[Int]>?
    /// A classifier's class names in index order (Hugging Face's `id2label`), carried into a
    /// Hugging Face config written for the same weights.
    public var labels: Sourced<[String]>?

    /// The config of the weights at `path`: `path/config.json` for a model directory,
    /// `config.json` beside a weights file; nil when there is none or it says none of these.
    public static func find(for path: String) -> SourceConfig? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let isDirectory = info.st_mode & S_IFMT == S_IFDIR
        let directory = isDirectory ? URL(fileURLWithPath: path) : URL(fileURLWithPath: path).deletingLastPathComponent()
        let file = directory.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: file), data.count < 1 << 20 else { return nil }
        return parse(data, path: isDirectory ? path.trimmingTrailingSlashes + "/config.json" : Self.sibling(of: path))
    }

    /// The fields of a config file's bytes; nil when it is not a model config or says nothing
    /// Tubelet uses.
    public static func parse(_ data: Data, path: String) -> SourceConfig? {
        guard let fields = try? JSONDecoder().decode(Fields.self, from: data) else { return nil }
        var config = SourceConfig(path: path)
        func from(_ field: String) -> ValueOrigin { .configFile(path: path, field: field) }
        if let heads = fields.heads, heads > 0 {
            config.heads = Sourced(heads, from("num_attention_heads"))
        } else if let heads = fields.modelArguments?.heads, heads > 0 {
            config.heads = Sourced(heads, from("model_args.num_heads"))
        } else if let architecture = fields.timmArchitecture,
                  let heads = TimmArchitectureName.heads(of: architecture, width: fields.modelArguments?.width ?? fields.timmFeatures) {
            config.heads = Sourced(heads, from("architecture \(architecture)"))
        }
        if let activation = fields.activation {
            config.activation = Sourced(activation, from("hidden_act"))
        } else if let activation = fields.modelArguments?.activation {
            config.activation = Sourced(TimmArchitectureName.huggingFaceActivation(activation), from("model_args.act_layer"))
        } else if let architecture = fields.timmArchitecture, let activation = TimmArchitectureName.activation(of: architecture) {
            config.activation = Sourced(activation, from("architecture \(architecture)"))
        }
        if let epsilon = fields.layerNormEpsilon, epsilon > 0 {
            config.layerNormEpsilon = Sourced(epsilon, from("layer_norm_eps"))
        }
        if let width = fields.width {
            config.width = Sourced(width, from("hidden_size"))
        } else if let width = fields.modelArguments?.width ?? fields.timmFeatures {
            config.width = Sourced(width, from(fields.modelArguments?.width != nil ? "model_args.embed_dim" : "num_features"))
        }
        if let depth = fields.depth ?? fields.modelArguments?.depth {
            config.depth = Sourced(depth, from(fields.depth != nil ? "num_hidden_layers" : "model_args.depth"))
        }
        if let frames = fields.frames, frames > 0 { config.frames = Sourced(frames, from("num_frames")) }
        if let imageSize = fields.imageSize, imageSize > 0 { config.imageSize = Sourced(imageSize, from("image_size")) }
        if let tubelet = fields.tubelet, tubelet.count == 3, tubelet.allSatisfy({ $0 > 0 }) {
            config.tubelet = Sourced(tubelet, from("tubelet_size"))
        }
        if let id2label = fields.labels, let labels = Self.ordered(id2label) {
            config.labels = Sourced(labels, from("id2label"))
        }
        return config.heads == nil && config.activation == nil && config.layerNormEpsilon == nil && config.frames == nil
            && config.imageSize == nil ? nil : config
    }

    /// `id2label`'s names in index order, when its keys are exactly 0..<n; nil otherwise.
    static func ordered(_ id2label: [String: String]) -> [String]? {
        guard !id2label.isEmpty else { return nil }
        var labels: [String] = []
        for index in 0..<id2label.count {
            guard let label = id2label[String(index)] else { return nil }
            labels.append(label)
        }
        return labels
    }

    /// `dir/config.json` for a weights file `dir/x`, as the user would write it.
    private static func sibling(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "config.json" }
        return String(path[...slash]) + "config.json"
    }

    /// The fields read; any other content is ignored, and a field of another type than
    /// expected is left out on its own (a config whose `hidden_act` is not a string still
    /// gives its head count).
    private struct Fields: Decodable {
        var heads: Int?
        var activation: String?
        var layerNormEpsilon: Double?
        var width: Int?
        var depth: Int?
        var timmArchitecture: String?
        var timmFeatures: Int?
        var modelArguments: ModelArguments?
        var frames: Int?
        var imageSize: Int?
        var tubelet: [Int]?
        var labels: [String: String]?

        struct ModelArguments: Decodable {
            var heads: Int?
            var width: Int?
            var depth: Int?
            var activation: String?

            enum CodingKeys: String, CodingKey {
                case heads = "num_heads", width = "embed_dim", depth, activation = "act_layer"
            }

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                heads = try? container.decodeIfPresent(Int.self, forKey: .heads)
                width = try? container.decodeIfPresent(Int.self, forKey: .width)
                depth = try? container.decodeIfPresent(Int.self, forKey: .depth)
                activation = try? container.decodeIfPresent(String.self, forKey: .activation)
            }
        }

        enum CodingKeys: String, CodingKey {
            case heads = "num_attention_heads", activation = "hidden_act", layerNormEpsilon = "layer_norm_eps"
            case width = "hidden_size", depth = "num_hidden_layers"
            case timmArchitecture = "architecture", timmFeatures = "num_features", modelArguments = "model_args"
            case frames = "num_frames", imageSize = "image_size", tubelet = "tubelet_size"
            case labels = "id2label"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            heads = try? container.decodeIfPresent(Int.self, forKey: .heads)
            activation = try? container.decodeIfPresent(String.self, forKey: .activation)
            layerNormEpsilon = try? container.decodeIfPresent(Double.self, forKey: .layerNormEpsilon)
            width = try? container.decodeIfPresent(Int.self, forKey: .width)
            depth = try? container.decodeIfPresent(Int.self, forKey: .depth)
            timmArchitecture = try? container.decodeIfPresent(String.self, forKey: .timmArchitecture)
            timmFeatures = try? container.decodeIfPresent(Int.self, forKey: .timmFeatures)
            modelArguments = try? container.decodeIfPresent(ModelArguments.self, forKey: .modelArguments)
            frames = try? container.decodeIfPresent(Int.self, forKey: .frames)
            imageSize = try? container.decodeIfPresent(Int.self, forKey: .imageSize)
            tubelet = try? container.decodeIfPresent([Int].self, forKey: .tubelet)
            labels = try? container.decodeIfPresent([String: String].self, forKey: .labels)
        }
    }

    public init(path: String, heads: Sourced<Int>? = nil, activation: Sourced<String>? = nil,
                layerNormEpsilon: Sourced<Double>? = nil) {
        self.path = path
        self.heads = heads
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
    }
}

private extension String {
    var trimmingTrailingSlashes: String {
        var text = self
        while text.count > 1 && text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
