import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension Checkpoint {
    /// Writes a Hugging Face model directory: `config.json` and `model.safetensors`, both
    /// complete or neither (written into a temporary directory renamed into place).
    ///
    /// `overwrite` replaces an existing directory only when it holds nothing but such files.
    /// `progress` is called as in ``write(_:to:format:options:overwrite:)``.
    /// `preprocessorConfig`, when given, is written as `preprocessor_config.json`.
    public static func writeModelDirectory(
        _ source: any TensorSource,
        config: Data,
        preprocessorConfig: Data? = nil,
        to path: String,
        overwrite: Bool = false,
        progress: ProgressHandler? = nil
    ) throws(CheckpointError) {
        let reporter = progress.map { ProgressReportingSource(source, handler: $0) }
        let source: any TensorSource = reporter ?? source
        try AtomicDirectoryOutput.write(to: path, overwrite: overwrite, inputs: [source.path]) { directory throws(CheckpointError) in
            try SystemCall.run(file: path, "cannot create the output directory") { mkdir(directory, 0o755) }
            let configFile = try OutputFile(path: directory + "/config.json")
            try configFile.write([UInt8](config))
            try configFile.close()
            if let preprocessorConfig {
                let file = try OutputFile(path: directory + "/preprocessor_config.json")
                try file.write([UInt8](preprocessorConfig))
                try file.close()
            }
            try SafeTensorsWriter().write(source, to: directory + "/model.safetensors", options: WriteOptions())
        }
        reporter?.finish()
    }
}
