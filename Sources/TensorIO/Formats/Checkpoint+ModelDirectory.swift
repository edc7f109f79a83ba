import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension Checkpoint {
    /// Writes a Hugging Face model directory: `config.json` and `model.safetensors`, both
    /// complete or neither (written into a temporary directory renamed into place).
    ///
    /// `--force` replaces an existing directory only when it holds nothing but such files.
    /// `progress` is called as in ``write(_:to:format:options:overwrite:)``.
    public static func writeModelDirectory(
        _ source: any TensorSource,
        config: Data,
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
            try SafeTensorsWriter().write(source, to: directory + "/model.safetensors", options: WriteOptions())
        }
        reporter?.finish()
    }
}
