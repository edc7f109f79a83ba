import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The per-channel mean and standard deviation a ViT's inputs were normalised with, which a
/// Hugging Face `preprocessor_config.json` must state and no weights file stores (ImageNet's
/// statistics for DeiT and many timm models, 0.5 for Google's ViTs and most others: a wrong
/// guess shifts every input).
///
/// Read from evidence only: a Hugging Face `preprocessor_config.json` in the model directory
/// or beside the weights (`image_mean`, `image_std`), or a timm Hub `config.json`
/// (`pretrained_cfg.mean`, `pretrained_cfg.std`); or given by the caller.
public struct InputNormalisation: Sendable, Equatable {
    public var mean: [Double]
    public var std: [Double]
    public var origin: ValueOrigin

    public init(mean: [Double], std: [Double], origin: ValueOrigin) {
        self.mean = mean
        self.std = std
        self.origin = origin
    }

    /// The normalisation the files beside the weights at `path` state, or nil.
    public static func find(for path: String) -> InputNormalisation? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let isDirectory = info.st_mode & S_IFMT == S_IFDIR
        let directory = isDirectory ? path : (path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ".")
        for (file, kind) in [("preprocessor_config.json", Kind.huggingFace), ("config.json", .timm)] {
            let candidate = directory + "/" + file
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: candidate)), data.count < 1 << 20,
                  let found = parse(data, kind: kind, path: candidate) else { continue }
            return found
        }
        return nil
    }

    enum Kind { case huggingFace, timm }

    static func parse(_ data: Data, kind: Kind, path: String) -> InputNormalisation? {
        switch kind {
        case .huggingFace:
            guard let fields = try? JSONDecoder().decode(HuggingFaceFields.self, from: data),
                  let mean = fields.imageMean, let std = fields.imageStd else { return nil }
            return valid(mean, std, .configFile(path: path, field: "image_mean, image_std"))
        case .timm:
            guard let fields = try? JSONDecoder().decode(TimmFields.self, from: data),
                  let mean = fields.pretrainedConfig?.mean, let std = fields.pretrainedConfig?.std else { return nil }
            return valid(mean, std, .configFile(path: path, field: "pretrained_cfg.mean, pretrained_cfg.std"))
        }
    }

    /// Three channels (or one), each deviation positive: anything else is not a statistic.
    private static func valid(_ mean: [Double], _ std: [Double], _ origin: ValueOrigin) -> InputNormalisation? {
        guard !mean.isEmpty, mean.count == std.count, std.allSatisfy({ $0 > 0 }) else { return nil }
        return InputNormalisation(mean: mean, std: std, origin: origin)
    }

    private struct HuggingFaceFields: Decodable {
        var imageMean: [Double]?
        var imageStd: [Double]?
        enum CodingKeys: String, CodingKey { case imageMean = "image_mean", imageStd = "image_std" }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            imageMean = try? container.decodeIfPresent([Double].self, forKey: .imageMean)
            imageStd = try? container.decodeIfPresent([Double].self, forKey: .imageStd)
        }
    }

    private struct TimmFields: Decodable {
        var pretrainedConfig: Statistics?
        struct Statistics: Decodable {
            var mean: [Double]?
            var std: [Double]?
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                mean = try? container.decodeIfPresent([Double].self, forKey: .mean)
                std = try? container.decodeIfPresent([Double].self, forKey: .std)
            }
            enum CodingKeys: String, CodingKey { case mean, std }
        }
        enum CodingKeys: String, CodingKey { case pretrainedConfig = "pretrained_cfg" }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            pretrainedConfig = try? container.decodeIfPresent(Statistics.self, forKey: .pretrainedConfig)
        }
    }
}
