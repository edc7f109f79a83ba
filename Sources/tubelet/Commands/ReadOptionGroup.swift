import ArgumentParser
import TensorIO

/// Options that change how input files are read, shared by every command that reads.
struct ReadOptionGroup: ParsableArguments {
    @Flag(name: .customLong("npy-v2-as-bfloat16"),
          help: "Read 2-byte opaque arrays ('<V2', as ml_dtypes and JAX save bfloat16) as bfloat16.")
    var opaqueTwoByteAsBFloat16 = false

    @Option(name: .customLong("max-npy-header-bytes"),
            help: "Largest .npy header accepted, in bytes (numpy's own limit is 10000).")
    var maxNPYHeaderBytes = Limits.defaultMaxNPYHeaderBytes

    var readOptions: ReadOptions {
        var options = ReadOptions(opaqueTwoByteAsBFloat16: opaqueTwoByteAsBFloat16)
        options.maxNPYHeaderBytes = maxNPYHeaderBytes
        return options
    }

    func validate() throws {
        guard maxNPYHeaderBytes > 0 else {
            throw ValidationError("--max-npy-header-bytes must be positive")
        }
    }
}
