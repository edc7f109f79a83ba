/// A checkpoint split over several files by a Hugging Face shard index
/// (`model.safetensors.index.json`, `pytorch_model.bin.index.json`), read as one source.
///
/// The index is `{"metadata": {...}, "weight_map": {tensor: shard file}}`. Shards are opened
/// in sorted file-name order (as `from_pretrained` loads them) and the tensors listed shard
/// by shard, each in its own file's order. The index and the shards must agree exactly:
/// a tensor the index lists but its shard lacks, or one a shard holds but the index does not
/// list, is an error rather than a silently partial load.
///
/// Metadata is the index's `metadata` (except `total_size`, which describes the split, not
/// the weights) merged with each shard's own, the first shard's value winning.
final class ShardedSource: TensorSource {
    let path: String
    let format: CheckpointFormat
    let tensors: [TensorInfo]
    let metadata: [String: String]
    private let shards: [any TensorSource]
    private let shardOfTensor: [String: Int]

    /// - Parameters:
    ///   - indexPath: the index file.
    ///   - reportedPath: the path the user named (the index or its directory), for messages.
    ///   - openShard: opens one shard file.
    init(
        indexPath: String,
        reportedPath: String,
        format: CheckpointFormat,
        openShard: (String) throws(CheckpointError) -> any TensorSource
    ) throws(CheckpointError) {
        path = reportedPath
        self.format = format
        let index = try ShardIndex.read(indexPath)
        let directory = indexPath.lastIndex(of: "/").map { String(indexPath[...$0]) } ?? ""
        var shards: [any TensorSource] = []
        var tensors: [TensorInfo] = []
        var shardOfTensor: [String: Int] = [:]
        var metadata = index.metadata
        for fileName in index.shardFiles {
            let shardPath = directory + fileName
            guard ModelDirectory.isRegularFile(shardPath) else {
                throw CheckpointError(.malformed, file: reportedPath,
                    "the shard index names \(fileName), which is not a file beside it",
                    fix: "The sharded checkpoint is incomplete; copy or download the missing shard")
            }
            let shard = try openShard(shardPath)
            for info in shard.tensors {
                guard let listed = index.weightMap[info.name] else {
                    throw CheckpointError(.malformed, file: reportedPath, tensor: info.name,
                        "the shard \(fileName) holds this tensor but the index does not list it",
                        fix: "The index and its shards disagree; re-save the checkpoint")
                }
                guard listed == fileName else {
                    throw CheckpointError(.malformed, file: reportedPath, tensor: info.name,
                        "the shard \(fileName) holds this tensor but the index places it in \(listed)",
                        fix: "The index and its shards disagree; re-save the checkpoint")
                }
                shardOfTensor[info.name] = shards.count
                tensors.append(info)
            }
            for (key, value) in shard.metadata where metadata[key] == nil {
                metadata[key] = value
            }
            shards.append(shard)
        }
        if let missing = index.weightMap.keys.sorted().first(where: { shardOfTensor[$0] == nil }) {
            throw CheckpointError(.malformed, file: reportedPath, tensor: missing,
                "the index places this tensor in \(index.weightMap[missing] ?? "?"), which does not hold it",
                fix: "The index and its shards disagree; re-save the checkpoint")
        }
        self.shards = shards
        self.tensors = tensors
        self.shardOfTensor = shardOfTensor
        self.metadata = metadata
    }

    func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard let shard = shardOfTensor[name] else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such tensor in the checkpoint")
        }
        return try shards[shard].read(name)
    }
}
