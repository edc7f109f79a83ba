/// A Hugging Face shard index: which file of a sharded checkpoint holds each tensor.
///
/// Written by `save_pretrained` as `json.dumps(index, indent=2, sort_keys=True) + "\n"` of
/// `{"metadata": {"total_size": N}, "weight_map": {tensor: file}}`; ``render(weightMap:totalSize:)``
/// writes exactly that text.
struct ShardIndex: Sendable {
    /// Tensor name → shard file name (relative to the index's directory).
    var weightMap: [String: String]
    /// The index's `metadata`, values as text, without `total_size`.
    var metadata: [String: String]

    /// An index file is read whole; real ones are a few hundred kB.
    static let maxBytes = 100_000_000

    /// The distinct shard files, sorted by name as `from_pretrained` orders them.
    var shardFiles: [String] {
        Set(weightMap.values).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    static func read(_ path: String) throws(CheckpointError) -> ShardIndex {
        let file = try MappedFile(path: path)
        guard file.bytes.count <= maxBytes else {
            throw CheckpointError(.limitExceeded, file: path, "the shard index is \(file.bytes.count) bytes, over the limit of \(maxBytes)")
        }
        return try parse(Array(file.bytes), path: path)
    }

    static func parse(_ bytes: [UInt8], path: String) throws(CheckpointError) -> ShardIndex {
        let root: JSONValue
        do {
            root = try StrictJSON.parse(bytes)
        } catch {
            throw CheckpointError(.malformed, file: path, "the shard index is not valid JSON: \(error.reason) (at byte \(error.offset))")
        }
        guard case .object(let members) = root,
              let weightMapValue = members.first(where: { $0.key == "weight_map" })?.value,
              case .object(let pairs) = weightMapValue else {
            throw CheckpointError(.malformed, file: path, "the shard index has no 'weight_map' object",
                fix: "A shard index is {\"metadata\": {...}, \"weight_map\": {tensor: file}}")
        }
        var weightMap: [String: String] = [:]
        for (name, value) in pairs {
            guard case .string(let file) = value else {
                throw CheckpointError(.malformed, file: path, tensor: name, "the weight_map entry is \(value.kindName), not a file name")
            }
            let components = file.split(separator: "/", omittingEmptySubsequences: false)
            guard !file.isEmpty, !file.hasPrefix("/"), !file.contains("\0"), !components.contains("..") else {
                throw CheckpointError(.malformed, file: path, tensor: name,
                    "the weight_map names the shard '\(file)', which is not a file beside the index")
            }
            guard weightMap.updateValue(file, forKey: name) == nil else {
                throw CheckpointError(.malformed, file: path, tensor: name,
                    "two weight_map names are the same text in different Unicode normalisations")
            }
        }
        var metadata: [String: String] = [:]
        if let value = members.first(where: { $0.key == "metadata" })?.value {
            switch value {
            case .object(let entries):
                for (key, item) in entries where key != "total_size" {
                    switch item {
                    case .string(let text): metadata[key] = text
                    case .number(let text): metadata[key] = text
                    case .bool(let flag): metadata[key] = flag ? "true" : "false"
                    default: continue
                    }
                }
            case .null: break
            default:
                throw CheckpointError(.malformed, file: path, "the shard index's 'metadata' is \(value.kindName), not an object")
            }
        }
        return ShardIndex(weightMap: weightMap, metadata: metadata)
    }

    /// The index text `save_pretrained` writes for this split.
    static func render(weightMap: [String: String], totalSize: Int) -> String {
        let names = weightMap.keys.sorted { pythonOrder($0, $1) }
        var text = "{\n  \"metadata\": {\n    \"total_size\": \(totalSize)\n  },\n  \"weight_map\": {"
        for (position, name) in names.enumerated() {
            text += position == 0 ? "\n" : ",\n"
            text += "    \(JSONText.pythonQuoted(name)): \(JSONText.pythonQuoted(weightMap[name] ?? ""))"
        }
        text += names.isEmpty ? "}\n}\n" : "\n  }\n}\n"
        return text
    }

    /// Python's `sorted` order for `str`: by code point, which is UTF-8 byte order.
    static func pythonOrder(_ a: String, _ b: String) -> Bool {
        Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }
}
