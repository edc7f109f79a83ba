import FoundationEssentials

/// Writes a checkpoint as a `torch.save` archive that `torch.load(weights_only=True)` loads,
/// with or without `mmap=True`.
///
/// The pickle is what `torch.save(state_dict)` writes for a dict of plain tensors, in
/// protocol 2: an `OrderedDict` of `_rebuild_tensor_v2` calls (`_rebuild_tensor_v3` with an
/// `UntypedStorage` for uint16/32/64, which have no typed storage class), each tensor with
/// its own contiguous storage, `requires_grad=False` and empty backward hooks. The zip has
/// torch 2.x's records in torch's order — `data.pkl`, `.format_version`,
/// `.storage_alignment`, `byteorder` (`little`), `data/0…`, `version` (`3`) — all stored
/// uncompressed (mmap loading needs that) with their data aligned to 64 bytes as torch
/// aligns them, under a folder named after the output file's stem, as torch names it.
///
/// Checkpoint metadata, which a state dict has no place for, goes to the extra record
/// `tubelet/metadata.json` (JSON, string to string); torch ignores records it does not
/// look for, and Tubelet reads it back.
public struct PyTorchWriter: CheckpointWriter {
    public var format: CheckpointFormat { .pytorch }

    public init() {}

    /// torch's `.storage_alignment`.
    static let alignment = 64

    public func write(_ source: any TensorSource, to path: String, options: WriteOptions) throws(CheckpointError) {
        var names: Set<String> = []
        for info in source.tensors where !names.insert(info.name).inserted {
            throw CheckpointError(.invalidRequest, file: path, tensor: info.name, "two tensors have this name")
        }
        let folder = Self.archiveName(for: options.finalPath ?? path) + "/"
        let archive = try StoredZipWriter(path: path)
        try archive.addMember(name: folder + "data.pkl", parts: [try TensorBytes(Self.pickle(source.tensors))],
                              alignment: Self.alignment)
        for (name, text) in [(".format_version", "1"), (".storage_alignment", "64"), ("byteorder", "little")] {
            try addText(text, as: folder + name, to: archive)
        }
        for (key, info) in source.tensors.enumerated() {
            let tensor = try source.read(info.name)
            guard tensor.dtype == info.dtype, tensor.shape == info.shape else {
                throw CheckpointError(.malformed, file: source.path, tensor: info.name,
                    "the tensor read as \(tensor.dtype.rawValue) \(Shape.describe(tensor.shape)) but was listed as \(info.dtype.rawValue) \(Shape.describe(info.shape))")
            }
            try archive.addMember(name: folder + "data/\(key)", parts: [tensor.bytes], alignment: Self.alignment)
        }
        if !source.metadata.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            guard let json = try? encoder.encode(source.metadata) else {
                throw CheckpointError(.invalidRequest, file: path, "the metadata cannot be encoded as JSON")
            }
            try addText(String(decoding: json, as: UTF8.self), as: folder + PyTorchSource.metadataRecord, to: archive)
        }
        try addText("3\n", as: folder + "version", to: archive)
        try archive.close(comment: [])
    }

    private func addText(_ text: String, as name: String, to archive: StoredZipWriter) throws(CheckpointError) {
        try archive.addMember(name: name, parts: [try TensorBytes(Array(text.utf8))], alignment: Self.alignment)
    }

    /// torch's archive name: the file name without directory and last extension
    /// (`out/vit.pth` → `vit`), or `archive` when that is empty.
    static func archiveName(for path: String) -> String {
        let stem = PyTorchSource.stem(of: path)
        return stem.isEmpty ? "archive" : stem
    }

    /// The storage class (or untyped storage and dtype) torch pickles a dtype's tensors with.
    static func storageGlobal(for dtype: DType) -> (module: String, name: String, dtypeName: String?) {
        switch dtype {
        case .float64: ("torch", "DoubleStorage", nil)
        case .float32: ("torch", "FloatStorage", nil)
        case .float16: ("torch", "HalfStorage", nil)
        case .bfloat16: ("torch", "BFloat16Storage", nil)
        case .int64: ("torch", "LongStorage", nil)
        case .int32: ("torch", "IntStorage", nil)
        case .int16: ("torch", "ShortStorage", nil)
        case .int8: ("torch", "CharStorage", nil)
        case .uint8: ("torch", "ByteStorage", nil)
        case .bool: ("torch", "BoolStorage", nil)
        case .uint16: ("torch.storage", "UntypedStorage", "uint16")
        case .uint32: ("torch.storage", "UntypedStorage", "uint32")
        case .uint64: ("torch.storage", "UntypedStorage", "uint64")
        }
    }

    /// torch's contiguous strides: each the product of the later sizes, a size 0 counting as 1.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in shape.indices.reversed() {
            strides[axis] = step
            step *= max(shape[axis], 1)
        }
        return strides
    }

    /// The `data.pkl` for `tensors`, storage `k` holding the `k`-th tensor.
    static func pickle(_ tensors: [TensorInfo]) -> [UInt8] {
        var writer = PickleWriter()
        writer.global("collections", "OrderedDict")
        writer.op(.emptyTuple)
        writer.op(.reduce)
        // Python's pickler sets items in batches of 1000, a batch of one with SETITEM.
        var start = 0
        while start < tensors.count {
            let batch = tensors[start..<min(start + 1000, tensors.count)]
            if batch.count > 1 { writer.op(.mark) }
            for (key, info) in zip(batch.indices, batch) {
                writer.string(info.name)
                let storage = storageGlobal(for: info.dtype)
                writer.global("torch._utils", storage.dtypeName == nil ? "_rebuild_tensor_v2" : "_rebuild_tensor_v3")
                writer.op(.mark)
                writer.op(.mark)
                writer.string("storage")
                writer.global(storage.module, storage.name)
                writer.string(String(key))
                writer.string("cpu")
                writer.int(storage.dtypeName == nil ? info.elementCount : info.byteCount)
                writer.op(.tuple)
                writer.op(.binPersistentID)
                writer.int(0)
                writer.intTuple(info.shape)
                writer.intTuple(contiguousStrides(info.shape))
                writer.op(.newFalse)
                writer.global("collections", "OrderedDict")
                writer.op(.emptyTuple)
                writer.op(.reduce)
                if let dtypeName = storage.dtypeName { writer.global("torch", dtypeName) }
                writer.op(.tuple)
                writer.op(.reduce)
            }
            writer.op(batch.count > 1 ? .setItems : .setItem)
            start += batch.count
        }
        writer.op(.stop)
        return writer.bytes
    }
}
