/// Writes a checkpoint as a NumPy `.npz` archive: stored members directly
/// (``StoredZipWriter``), deflated ones through libzip.
///
/// Each tensor becomes a member `NAME.npy` holding exactly what `np.save` writes; names keep
/// their `/`, so `np.load(f)["Transformer/encoder_norm/scale"]` works. Members are stored
/// (or deflated on request) with a fixed 1980-01-01 timestamp, so the same tensors always
/// give the same file. Tensors are read from the source one at a time while libzip writes.
public struct NPZWriter: CheckpointWriter {
    public var format: CheckpointFormat { .npz }

    public init() {}

    public func write(_ source: any TensorSource, to path: String, options: WriteOptions) throws(CheckpointError) {
        var memberNames: Set<String> = []
        for info in source.tensors {
            // libzip takes tab, line feed and carriage return in UTF-8 names, no other C0 control.
            let refused = info.name.unicodeScalars.contains { $0.value < 0x20 && !["\t", "\n", "\r"].contains($0) }
            guard !info.name.isEmpty, !refused else {
                throw CheckpointError(.invalidRequest, file: path, tensor: info.name,
                    "an npz member name must be non-empty and free of control characters other than tab and line breaks (libzip refuses them)",
                    fix: "Rename the tensor, or write safetensors or HDF5")
            }
            guard memberNames.insert(info.name + ".npy").inserted else {
                throw CheckpointError(.invalidRequest, file: path, tensor: info.name, "two tensors have this name")
            }
        }
        let bfloat16Names = source.tensors.filter { $0.dtype == .bfloat16 }.map(\.name)
        let comment = NPZMetadata.encode(metadata: source.metadata, bfloat16Names: bfloat16Names)
        if let comment, comment.utf8.count > 65_535 {
            throw CheckpointError(.invalidRequest, file: path,
                "the metadata takes \(comment.utf8.count) bytes, but an npz keeps it in the zip comment, which holds at most 65535",
                fix: "Write HDF5 or safetensors, which have room for it")
        }
        if options.compression == .stored {
            let archive = try StoredZipWriter(path: path, alwaysZip64: options.alwaysZip64)
            for info in source.tensors {
                try archive.addMember(name: info.name + ".npy", parts: member(info, of: source))
            }
            try archive.close(comment: Array((comment ?? "").utf8))
            return
        }
        let archive = try ZipArchiveWriter(path: path)
        for info in source.tensors {
            let header = NPYHeader.render(dtype: info.dtype, shape: info.shape)
            try archive.addMember(name: info.name + ".npy", size: header.count + info.byteCount, compression: options.compression) {
                () throws(CheckpointError) -> [TensorBytes] in
                try member(info, of: source)
            }
        }
        if let comment { archive.setComment(comment) }
        try archive.close()
    }

    /// The bytes of the member for `info`: exactly what `np.save` writes, header and data.
    private func member(_ info: TensorInfo, of source: any TensorSource) throws(CheckpointError) -> [TensorBytes] {
        let tensor = try source.read(info.name)
        guard tensor.dtype == info.dtype, tensor.shape == info.shape else {
            throw CheckpointError(.malformed, file: source.path, tensor: info.name,
                "the tensor read as \(tensor.dtype.rawValue) \(Shape.describe(tensor.shape)) but was listed as \(info.dtype.rawValue) \(Shape.describe(info.shape))")
        }
        return [try TensorBytes(NPYHeader.render(dtype: info.dtype, shape: info.shape)), tensor.bytes]
    }
}
