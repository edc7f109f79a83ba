/// Reads PyTorch checkpoints written by `torch.save` since torch 1.6 (`.pth`, `.pt`,
/// `.bin`): a zip archive of a pickle and raw storages, read through libzip. A Hugging Face
/// `pytorch_model.bin.index.json` (or a model directory holding one) is read as one
/// checkpoint across its shards.
///
/// The pickle runs in ``PickleMachine``, which accepts only what
/// `torch.load(weights_only=True)` accepts and never runs code. Opening reads the pickle and
/// checks every tensor against its storage record (the record exists, its size is the
/// storage's `numel × itemsize`, the view lies inside it); reading a tensor streams the
/// storage record, size- and CRC-checked, and gathers the view. The legacy pre-1.6 format
/// and TorchScript archives are recognised and refused with a fix.
public struct PyTorchReader: CheckpointReader {
    public var format: CheckpointFormat { .pytorch }

    public init() {}

    public func open(_ path: String, options: ReadOptions) throws(CheckpointError) -> any TensorSource {
        switch try ModelDirectory.resolve(path) {
        case .file(let file):
            return try PyTorchSource(path: file, limits: options.limits)
        case .index(let index):
            return try ShardedSource(indexPath: index, reportedPath: path, format: .pytorch) { (shard) throws(CheckpointError) in
                try PyTorchSource(path: shard, limits: options.limits)
            }
        }
    }
}

final class PyTorchSource: TensorSource {
    let path: String
    let tensors: [TensorInfo]
    let metadata: [String: String]
    var format: CheckpointFormat { .pytorch }
    private let archive: TorchArchive
    private let storages: [TorchStorageReference]
    private let views: [String: (storage: Int, dtype: DType, view: StridedView)]
    /// The most recently read storage, kept because views of one storage (fused q/k/v,
    /// slices) usually follow each other.
    private var cachedStorage: (index: Int, bytes: TensorBytes)?

    /// Views that address more elements than their storage holds (stride-0 broadcasts,
    /// overlapping windows) are materialised only up to this size.
    static let maxOverlappingViewBytes = 1 << 30

    /// Tubelet's own record of the checkpoint's metadata, ignored by torch.
    static let metadataRecord = "tubelet/metadata.json"

    init(path: String, limits: Limits = Limits()) throws(CheckpointError) {
        self.path = path
        archive = try TorchArchive(reader: ZipArchiveReader(path: path, limits: limits))
        let member = archive.prefix + "data.pkl"
        var pickleLimits = PickleMachine.Limits()
        pickleLimits.maxRank = limits.maxRank
        let (machine, root) = try PickleMachine.run(try archive.pickleBytes(maxBytes: limits.maxHeaderBytes),
                                                    path: path, member: member, limits: pickleLimits)
        storages = machine.storages
        let stem = Self.stem(of: path)
        let collected = try TorchStateDict.collect(root: root, machine: machine, bareTensorName: stem, path: path, member: member)
        var metadata = collected.metadata
        if let entry = archive.record(Self.metadataRecord) {
            metadata.merge(try Self.readMetadata(entry, archive: archive)) { _, stored in stored }
        }
        self.metadata = metadata
        var infos: [TensorInfo] = []
        var views: [String: (storage: Int, dtype: DType, view: StridedView)] = [:]
        for (name, reference) in collected.tensors {
            let (dtype, view) = try Self.check(reference, name: name, storages: machine.storages, archive: archive)
            infos.append(TensorInfo(name: name, dtype: dtype, shape: reference.shape))
            views[name] = (reference.storage, dtype, view)
        }
        tensors = infos
        self.views = views
    }

    /// `dir/vit_small.pth` → `vit_small`.
    static func stem(of path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    /// Checks one tensor against its storage and the storage against its record.
    private static func check(
        _ reference: TorchTensorReference, name: String, storages: [TorchStorageReference], archive: TorchArchive
    ) throws(CheckpointError) -> (DType, StridedView) {
        let path = archive.path
        let storage = storages[reference.storage]
        guard storage.isSupported else {
            throw CheckpointError(.unsupported, file: path, tensor: name,
                "storage type \(storage.className) is not supported (Tubelet reads \(DType.supportedNames))",
                fix: "Convert the tensor to a real dtype in Python first, e.g. tensor.float()")
        }
        guard let dtype = reference.dtype else {
            throw CheckpointError(.unsupported, file: path, tensor: name,
                "dtype \(reference.dtypeName) is not supported (Tubelet reads \(DType.supportedNames))",
                fix: "Cast the tensor in Python first, e.g. tensor.to(torch.bfloat16)")
        }
        if let storageType = storage.dtype, storageType != dtype {
            throw CheckpointError(.malformed, file: path, tensor: name,
                "the tensor is \(dtype.rawValue) but its storage \(storage.key) is \(storage.className)")
        }
        guard let entry = archive.record("data/" + storage.key) else {
            throw CheckpointError(.malformed, file: path, tensor: name,
                "its storage record \(archive.prefix)data/\(storage.key) is missing",
                fix: "The archive is incomplete; re-save it with torch.save")
        }
        guard let storageBytes = storage.byteCount else {
            throw CheckpointError(.malformed, file: path, tensor: name,
                "storage \(storage.key) declares \(storage.numel) elements of \(storage.className), which overflows 64-bit sizes")
        }
        guard entry.size == storageBytes else {
            let unit = storage.isUntyped ? "bytes" : "× \(dtype.byteCount) bytes (\(storage.className))"
            throw CheckpointError(entry.size < storageBytes ? .truncated : .malformed, file: path, tensor: name,
                "the storage record \(entry.name) holds \(entry.size) bytes, but the pickle declares \(storage.numel) \(unit) = \(storageBytes) bytes",
                fix: "The archive is truncated or corrupt; re-save it with torch.save")
        }
        try archive.reader.checkReadable(entry)
        let view = StridedView(offset: reference.offset, shape: reference.shape, strides: reference.strides)
        let storageElements = storageBytes / dtype.byteCount
        do {
            try view.check(storageElements: storageElements)
        } catch {
            throw CheckpointError(.malformed, file: path, tensor: name,
                "view (offset \(reference.offset), size \(Shape.describe(reference.shape)), stride \(Shape.describe(reference.strides))) exceeds storage \(storage.key) of \(storageElements) elements: \(error.reason)",
                fix: "The checkpoint is corrupt; re-save it with torch.save")
        }
        guard let bytes = Shape.byteCount(reference.shape, dtype) else {
            throw CheckpointError(.malformed, file: path, tensor: name,
                "shape \(Shape.describe(reference.shape)) of \(dtype.rawValue) overflows 64-bit sizes")
        }
        if bytes > storageBytes, bytes > maxOverlappingViewBytes {
            throw CheckpointError(.limitExceeded, file: path, tensor: name,
                "the view repeats storage elements (a broadcast) and would take \(bytes) bytes, over the limit of \(maxOverlappingViewBytes)",
                fix: "Save tensor.clone() or the un-broadcast tensor instead")
        }
        return (dtype, view)
    }

    private static func readMetadata(_ entry: ZipEntry, archive: TorchArchive) throws(CheckpointError) -> [String: String] {
        guard entry.size <= Limits.defaultMaxHeaderBytes else {
            throw CheckpointError(.limitExceeded, file: archive.path, tensor: entry.name, "the metadata record holds \(entry.size) bytes")
        }
        let stream = try archive.reader.stream(entry)
        let bytes = try stream.read(entry.size)
        try stream.finish()
        guard case .object(let pairs)? = try? StrictJSON.parse(bytes) else {
            throw CheckpointError(.malformed, file: archive.path, tensor: entry.name, "the metadata record is not a JSON object")
        }
        var metadata: [String: String] = [:]
        for (key, value) in pairs {
            if case .string(let text) = value { metadata[key] = text }
        }
        return metadata
    }

    func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard let (storageIndex, dtype, view) = views[name], let info = info(name) else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such tensor in the checkpoint")
        }
        let swap = archive.isBigEndian && dtype.byteCount > 1
        if view.isContiguousFromStart, !swap, let streamed = try streamedStorage(storageIndex, byteCount: info.byteCount, for: name) {
            return Tensor(checked: dtype, shape: info.shape, bytes: streamed)
        }
        let storage = try storageBytes(storageIndex, for: name)
        if view.isContiguousFromStart, info.byteCount == storage.count, !swap {
            return Tensor(checked: dtype, shape: info.shape, bytes: storage)
        }
        let bytes = try TensorBytes(count: info.byteCount) { destination in
            storage.withUnsafeBytes { source in
                view.gather(from: source, elementSize: dtype.byteCount, into: destination)
            }
            if swap { ByteOrder.swapElements(destination, elementSize: dtype.byteCount) }
        }
        return Tensor(checked: dtype, shape: info.shape, bytes: bytes)
    }

    /// A large storage that a tensor covers exactly, read from its record as the tensor is
    /// read rather than whole; nil for small or shared storages, read whole below.
    ///
    /// libzip checks the size and the CRC when the last byte has been read, so the first read
    /// makes one pass to check them before the tensor is handed out (as for npz).
    private func streamedStorage(_ index: Int, byteCount: Int, for name: String) throws(CheckpointError) -> TensorBytes? {
        let storage = storages[index]
        guard byteCount >= Self.streamedStorageBytes, let entry = archive.record("data/" + storage.key),
              entry.size == byteCount else { return nil }
        let bytes = archive.reader.streamedMember(entry, count: byteCount, file: path, tensor: name)
        if !verifiedStorages.contains(index) {
            try bytes.forEachSlice { _ in }
            verifiedStorages.insert(index)
        }
        return bytes
    }

    /// Storages at least this large, covered exactly by one tensor, are streamed.
    static let streamedStorageBytes = 16 << 20
    /// Streamed storages whose size and CRC have been checked.
    private var verifiedStorages: Set<Int> = []

    /// The whole storage, streamed from its record and checked against its size and CRC.
    private func storageBytes(_ index: Int, for name: String) throws(CheckpointError) -> TensorBytes {
        if let cachedStorage, cachedStorage.index == index { return cachedStorage.bytes }
        cachedStorage = nil
        let storage = storages[index]
        guard let entry = archive.record("data/" + storage.key) else {
            throw CheckpointError(.malformed, file: path, tensor: name, "its storage record is missing")
        }
        do {
            let stream = try archive.reader.stream(entry)
            let bytes = try TensorBytes(count: entry.size) { (buffer) throws(CheckpointError) in
                try stream.readExactly(into: buffer)
            }
            try stream.finish()
            cachedStorage = (index, bytes)
            return bytes
        } catch {
            throw error.about(file: path, tensor: name)
        }
    }
}
