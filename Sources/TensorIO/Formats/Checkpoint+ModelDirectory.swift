import Foundation

extension Checkpoint {
    /// Writes a Hugging Face model directory: `config.json` and `model.safetensors`, both
    /// complete or neither (written into a temporary directory renamed into place).
    ///
    /// `--force` replaces an existing directory only when it holds nothing but such files.
    public static func writeModelDirectory(
        _ source: any TensorSource,
        config: Data,
        to path: String,
        overwrite: Bool = false
    ) throws(CheckpointError) {
        try AtomicDirectoryOutput.write(to: path, overwrite: overwrite, inputs: [source.path]) { directory throws(CheckpointError) in
            guard mkdir(directory, 0o755) == 0 else {
                throw CheckpointError(.io, file: path, "cannot create the output directory: \(String(cString: strerror(errno)))")
            }
            let configFile = try OutputFile(path: directory + "/config.json")
            try configFile.write([UInt8](config))
            try configFile.close()
            try SafeTensorsWriter().write(source, to: directory + "/model.safetensors", options: WriteOptions())
        }
    }
}
