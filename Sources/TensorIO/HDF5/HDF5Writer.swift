/// Writes a checkpoint as an HDF5 file through libhdf5, readable by h5py, Keras and `h5dump`.
///
/// Each tensor becomes a dataset at its name, `/` separating groups
/// (`Transformer/encoder_norm/scale`); groups are created as needed. Datasets are contiguous
/// and uncompressed, as Keras writes them, unless ``WriteOptions/compression`` asks for
/// `deflate` (h5py's gzip): then they are chunked (about 1 MiB a chunk) with the
/// shuffle and gzip filters; scalars and empty tensors are always contiguous, since HDF5
/// cannot chunk them. Dtypes are written as h5py writes them (see ``HDF5FileType``). The
/// checkpoint's metadata becomes variable-length UTF-8 string attributes of the root group,
/// one per key, except Keras 2 weight lists (``KerasWeightLists``): those go back onto their
/// groups as the string arrays Keras writes, so a Keras file read and written again, or a
/// Keras layout written by a layout conversion, is one tf.keras `load_weights` reads.
///
/// Tensors are read from the source and written one at a time, each a slice at a time (see
/// ``HDF5OutputFile/writeDataset(_:_:compression:)``), so memory does not follow the size of
/// any one tensor.
public struct HDF5Writer: CheckpointWriter {
    public var format: CheckpointFormat { .hdf5 }

    public init() {}

    public func write(_ source: any TensorSource, to path: String, options: WriteOptions) throws(CheckpointError) {
        let groups = try Self.groups(for: source.tensors.map(\.name), path: path)
        for (key, value) in source.metadata where key.isEmpty || key.contains("\0") || value.contains("\0") {
            throw CheckpointError(.invalidRequest, file: path,
                "metadata key '\(key)' \(key.isEmpty ? "is empty" : "or its value contains a NUL byte"), which an HDF5 attribute cannot hold")
        }
        let keras = KerasWeightLists.lists(in: source.metadata)
        let allGroups = Set(groups.values.flatMap { $0 })
        let (lists, emptyGroups) = try KerasWeightLists.plan(
            keras, datasets: Set(source.tensors.map(\.name)), groups: allGroups, path: path)
        let output = try HDF5OutputFile(path: path)
        var created: Set<String> = []
        for info in source.tensors {
            for group in groups[info.name] ?? [] where created.insert(group).inserted {
                try output.createGroup(group)
            }
            let tensor = try source.read(info.name)
            guard tensor.dtype == info.dtype, tensor.shape == info.shape else {
                throw CheckpointError(.malformed, file: source.path, tensor: info.name,
                    "the tensor read as \(tensor.dtype.rawValue) \(Shape.describe(tensor.shape)) but was listed as \(info.dtype.rawValue) \(Shape.describe(info.shape))")
            }
            try output.writeDataset(info.name, tensor, compression: options.compression)
        }
        // Layers without weights, after the datasets have made every other group.
        for group in emptyGroups { try output.createGroup(group) }
        for key in source.metadata.keys.sorted() where keras[key] == nil {
            try output.writeRootAttribute(key, source.metadata[key] ?? "")
        }
        for list in lists {
            try output.writeNameList(list.attribute, list.names, group: list.group)
        }
        try output.close()
    }

    /// For each tensor name, the groups it needs, outermost first (`a/b/c` needs `a`, `a/b`);
    /// refuses names HDF5 cannot hold and names that would be both a dataset and a group.
    static func groups(for names: [String], path: String) throws(CheckpointError) -> [String: [String]] {
        var groupsByName: [String: [String]] = [:]
        var allGroups: Set<String> = []
        for name in names {
            let components = name.split(separator: "/", omittingEmptySubsequences: false)
            guard !name.isEmpty, !name.contains("\0"), !components.contains(where: { $0.isEmpty || $0 == "." }) else {
                throw CheckpointError(.invalidRequest, file: path, tensor: name,
                    "an HDF5 dataset name must be non-empty '/'-separated parts, none of them empty or '.', with no NUL byte",
                    fix: "Rename the tensor, or write another format")
            }
            guard groupsByName[name] == nil else {
                throw CheckpointError(.invalidRequest, file: path, tensor: name, "two tensors have this name")
            }
            let groups = components.dropLast().indices.map { components[...$0].joined(separator: "/") }
            groupsByName[name] = groups
            allGroups.formUnion(groups)
        }
        for name in names where allGroups.contains(name) {
            throw CheckpointError(.invalidRequest, file: path, tensor: name,
                "this tensor's name is also the group of other tensors ('\(name)/…'); in HDF5 a path is either a dataset or a group",
                fix: "Rename one of them, or write npz or safetensors, whose names are flat")
        }
        return groupsByName
    }
}
