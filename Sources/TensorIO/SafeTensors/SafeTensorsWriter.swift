#if canImport(Glibc)
import Glibc
#endif

/// Writes safetensors files byte for byte as the reference library does, one file or a
/// Hugging Face sharded checkpoint.
///
/// The header is the reference `prepare()` layout: tensors sorted by dtype (the reference
/// enum's order, widest first) and then by name, laid out back to back from offset 0, so
/// every tensor is naturally aligned; compact JSON with `__metadata__` first; padded with
/// spaces to a multiple of 8 bytes. The metadata is `{"format": "pt"}` (which Hugging Face
/// `from_pretrained` requires) merged with the source's, the source's value winning where
/// both have a key. The reference library orders metadata keys by a hash; Tubelet sorts
/// them, so with at most one key the bytes are identical, and with more the same keys
/// and values appear in a stable order.
///
/// With ``WriteOptions/maxShardBytes`` the output is a directory laid out as
/// `save_pretrained` lays it out: `model-00001-of-0000N.safetensors` shards split by
/// huggingface_hub's rule, plus `model.safetensors.index.json` (or a single
/// `model.safetensors` when everything fits in one shard).
public struct SafeTensorsWriter: CheckpointWriter {
    public var format: CheckpointFormat { .safetensors }

    public init() {}

    public func write(_ source: any TensorSource, to path: String, options: WriteOptions) throws(CheckpointError) {
        var names: Set<String> = []
        for info in source.tensors {
            guard info.name != "__metadata__" else {
                throw CheckpointError(.invalidRequest, file: path, tensor: info.name,
                    "safetensors reserves this name for the metadata", fix: "Rename the tensor")
            }
            guard names.insert(info.name).inserted else {
                throw CheckpointError(.invalidRequest, file: path, tensor: info.name, "two tensors have this name")
            }
        }
        var metadata = ["format": "pt"]
        metadata.merge(source.metadata) { _, sourceValue in sourceValue }
        if let maxShardBytes = options.maxShardBytes {
            try writeSharded(source, to: path, maxShardBytes: maxShardBytes, metadata: metadata)
        } else {
            try writeFile(source, tensors: source.tensors, to: path, metadata: metadata)
        }
    }

    /// The header bytes (length prefix not included) for `tensors`, and the tensors in the
    /// order their data follows it.
    static func header(for tensors: [TensorInfo], metadata: [String: String]) -> (text: [UInt8], order: [TensorInfo]) {
        let order = tensors.sorted { a, b in
            let (rankA, rankB) = (SafeTensorsDType.rank(of: a.dtype), SafeTensorsDType.rank(of: b.dtype))
            if rankA != rankB { return rankA > rankB }
            return ShardIndex.pythonOrder(a.name, b.name)
        }
        var parts: [String] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { ShardIndex.pythonOrder($0, $1) }
            let entries = keys.map { "\(JSONText.serdeQuoted($0)):\(JSONText.serdeQuoted(metadata[$0] ?? ""))" }
            parts.append("\"__metadata__\":{" + entries.joined(separator: ",") + "}")
        }
        var offset = 0
        for info in order {
            let end = offset + info.byteCount
            let shape = info.shape.map(String.init).joined(separator: ",")
            parts.append("\(JSONText.serdeQuoted(info.name)):{\"dtype\":\"\(SafeTensorsDType.name(of: info.dtype))\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var text = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8)
        return (text, order)
    }

    private func writeFile(_ source: any TensorSource, tensors: [TensorInfo], to path: String, metadata: [String: String]) throws(CheckpointError) {
        var total = 0
        for info in tensors {
            let (sum, overflow) = total.addingReportingOverflow(info.byteCount)
            guard !overflow else {
                throw CheckpointError(.invalidRequest, file: path, "the tensors' total size overflows 64-bit sizes")
            }
            total = sum
        }
        let (text, order) = Self.header(for: tensors, metadata: metadata)
        guard text.count <= SafeTensorsHeader.maxHeaderBytes else {
            throw CheckpointError(.invalidRequest, file: path,
                "the safetensors header would take \(text.count) bytes, over the format's limit of \(SafeTensorsHeader.maxHeaderBytes)",
                fix: "Write fewer tensors or less metadata per file (\(setting: .maxShardBytes))")
        }
        let output = try OutputFile(path: path)
        var length = UInt64(text.count).littleEndian
        try withUnsafeBytes(of: &length) { (bytes) throws(CheckpointError) in try output.write(bytes) }
        try output.write(text)
        for info in order {
            let tensor = try source.read(info.name)
            guard tensor.dtype == info.dtype, tensor.shape == info.shape else {
                throw CheckpointError(.malformed, file: source.path, tensor: info.name,
                    "the tensor read as \(tensor.dtype.rawValue) \(Shape.describe(tensor.shape)) but was listed as \(info.dtype.rawValue) \(Shape.describe(info.shape))")
            }
            try output.write(tensor.bytes)
        }
        try output.close()
    }

    /// huggingface_hub's `split_state_dict_into_shards_factory`: tensors in source order; a
    /// tensor larger than the limit gets a shard of its own; otherwise a shard is closed
    /// when the next tensor would take it over the limit.
    static func planShards(_ tensors: [TensorInfo], maxShardBytes: Int) -> [[TensorInfo]] {
        var shards: [[TensorInfo]] = []
        var current: [TensorInfo] = []
        var currentBytes = 0
        for info in tensors {
            let size = info.byteCount
            if size > maxShardBytes {
                shards.append([info])
                continue
            }
            if size > maxShardBytes - currentBytes {
                shards.append(current)
                current = []
                currentBytes = 0
            }
            current.append(info)
            currentBytes += size
        }
        if !current.isEmpty || shards.isEmpty { shards.append(current) }
        return shards
    }

    private func writeSharded(_ source: any TensorSource, to path: String, maxShardBytes: Int, metadata: [String: String]) throws(CheckpointError) {
        guard maxShardBytes > 0 else {
            throw CheckpointError(.invalidRequest, file: path, "the shard size limit must be positive")
        }
        try SystemCall.run(file: path, "cannot create the output directory") { mkdir(path, 0o755) }
        let shards = Self.planShards(source.tensors, maxShardBytes: maxShardBytes)
        if shards.count == 1 {
            try writeFile(source, tensors: source.tensors, to: path + "/model.safetensors", metadata: metadata)
            return
        }
        let digits = max(5, String(shards.count).count)
        var weightMap: [String: String] = [:]
        for (position, shard) in shards.enumerated() {
            let name = "model-\(String(position + 1).leftPadded(to: digits))-of-\(String(shards.count).leftPadded(to: digits)).safetensors"
            try writeFile(source, tensors: shard, to: path + "/" + name, metadata: metadata)
            for info in shard { weightMap[info.name] = name }
        }
        let total = source.tensors.reduce(0) { $0 &+ $1.byteCount }
        let index = try OutputFile(path: path + "/model.safetensors.index.json")
        try index.write(Array(ShardIndex.render(weightMap: weightMap, totalSize: total).utf8))
        try index.close()
    }
}
