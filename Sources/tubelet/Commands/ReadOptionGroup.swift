import ArgumentParser
import TensorIO

/// Options that change how input files are read, shared by every command that reads.
///
/// The `--max-…` flags raise (or lower) the safety limits in ``Limits``: a file that declares
/// more is refused before anything is allocated for it, so a trusted file that really is that
/// large needs the flag, and a hostile one cannot exhaust memory by default.
struct ReadOptionGroup: ParsableArguments {
    @Flag(name: .customLong("npy-v2-as-bfloat16"),
          help: "Read 2-byte opaque arrays ('<V2', as ml_dtypes and JAX save bfloat16) as bfloat16.")
    var opaqueTwoByteAsBFloat16 = false

    @Option(name: .customLong("max-npy-header-bytes"),
            help: "Largest .npy header accepted, in bytes (numpy's own limit is 10000).")
    var maxNPYHeaderBytes = Limits.defaultMaxNPYHeaderBytes

    @Option(name: .customLong("max-header-bytes"),
            help: "Largest safetensors JSON header or torch data.pkl accepted, in bytes.")
    var maxHeaderBytes = Limits.defaultMaxHeaderBytes

    @Option(name: .customLong("max-decompressed-bytes"),
            help: "Largest size one compressed zip member (npz, torch, .keras) may inflate to, in bytes.")
    var maxDecompressedBytes = Limits.defaultMaxDecompressedBytes

    @Option(name: .customLong("max-expansion-ratio"),
            help: "Largest decompressed : compressed ratio a zip member or compressed HDF5 dataset may declare.")
    var maxExpansionRatio = Limits.defaultMaxExpansionRatio

    @Option(name: .customLong("max-tensors"),
            help: "Most tensors (zip members, safetensors entries, HDF5 datasets or group members, Flax arrays) one file may hold.")
    var maxTensorCount = Limits.defaultMaxTensorCount

    @Option(name: .customLong("max-rank"),
            help: "Most dimensions one tensor may have.")
    var maxRank = Limits.defaultMaxRank

    var readOptions: ReadOptions {
        var options = ReadOptions(opaqueTwoByteAsBFloat16: opaqueTwoByteAsBFloat16)
        options.limits.maxNPYHeaderBytes = maxNPYHeaderBytes
        options.limits.maxHeaderBytes = maxHeaderBytes
        options.limits.maxDecompressedBytes = maxDecompressedBytes
        options.limits.maxExpansionRatio = maxExpansionRatio
        options.limits.maxTensorCount = maxTensorCount
        options.limits.maxRank = maxRank
        return options
    }

    func validate() throws {
        let limits: [(flag: String, value: Int)] = [
            ("--max-npy-header-bytes", maxNPYHeaderBytes),
            ("--max-header-bytes", maxHeaderBytes),
            ("--max-decompressed-bytes", maxDecompressedBytes),
            ("--max-expansion-ratio", maxExpansionRatio),
            ("--max-tensors", maxTensorCount),
            ("--max-rank", maxRank),
        ]
        for (flag, value) in limits where value <= 0 {
            throw ValidationError("\(flag) must be positive")
        }
    }
}
