import Porting
import TensorIO

/// The command line's name for each setting the libraries' errors and reports name: its flag.
enum CommandLineNames {
    static let flags: [Setting: String] = [
        .maxNPYHeaderBytes: "--max-npy-header-bytes",
        .maxHeaderBytes: "--max-header-bytes",
        .maxDecompressedBytes: "--max-decompressed-bytes",
        .maxExpansionRatio: "--max-expansion-ratio",
        .maxTensorCount: "--max-tensors",
        .maxRank: "--max-rank",
        .opaqueTwoByteAsBFloat16: "--npy-v2-as-bfloat16",
        .outputFormat: "--format",
        .maxShardBytes: "--max-shard-size",
        .overwrite: "--force",
        .targetLayout: "--to",
        .schemaFile: "--schema",
        .sourceLayout: "--from",
        .heads: "--heads",
        .activation: "--activation",
        .layerNormEpsilon: "--layer-norm-eps",
        .exclude: "--exclude",
        .dropHead: "--drop-head",
        .model: "--model",
        .frames: "--frames",
        .tubelet: "--tubelet",
        .imageSize: "--image-size",
        .classes: "--classes",
        .classifier: "--classifier",
        .positionalEmbedding: "--posemb",
        .temporalLayers: "--temporal-layers",
        .temporalAttention: "--temporal-attention",
        .imageNormalisation: "--image-mean and --image-std",
        .copySpatialClassToken: "--copy-spatial-cls",
        .keepPreLogits: "--keep-pre-logits",
    ]

    /// The flag for `setting` (a setting the command line has no flag for keeps its API name).
    @Sendable static func flag(_ setting: Setting) -> String {
        flags[setting] ?? setting.rawValue
    }

    /// `text` as the command line says it.
    static func render(_ text: SettingText) -> String {
        text.rendered(flag)
    }
}

/// A library error as the command line prints it: settings named by their flags.
struct CommandLineError: Error, CustomStringConvertible {
    let error: CheckpointError
    var description: String { error.description(naming: CommandLineNames.flag) }
}
