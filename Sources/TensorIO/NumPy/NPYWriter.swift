#if canImport(Glibc)
import Glibc
#endif

/// Writes a one-tensor checkpoint as a `.npy` file, byte for byte what `np.save` writes.
public struct NPYWriter: CheckpointWriter {
    public var format: CheckpointFormat { .npy }

    public init() {}

    public func write(_ source: any TensorSource, to path: String, options: WriteOptions) throws(CheckpointError) {
        guard source.tensors.count == 1, let info = source.tensors.first else {
            throw CheckpointError(.invalidRequest, file: path,
                "a .npy file holds exactly one array, but the source has \(source.tensors.count) tensors",
                fix: "Write an .npz instead")
        }
        if !source.carriedMetadata.isEmpty {
            throw CheckpointError(.invalidRequest, file: path,
                "a .npy file has no place for the source's \(source.carriedMetadata.count) metadata entries",
                fix: "Write an .npz instead, which keeps them")
        }
        let tensor = try source.read(info.name)
        let output = try OutputFile(path: path)
        try output.write(NPYHeader.render(dtype: tensor.dtype, shape: tensor.shape))
        try output.write(tensor.bytes)
        try output.close()
    }
}
