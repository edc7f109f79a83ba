/// Writes a checkpoint as Flax's `msgpack_serialize` does, so `flax.serialization.
/// msgpack_restore` gives the nested params dict (names split on `/`).
///
/// Arrays are ext type 1 holding `(shape, dtype name, C-order bytes)`; arrays over 1 GiB are
/// split into Flax's chunked form. The tree is written depth first, one tensor at a time.
/// msgpack has no place for metadata, so a source's metadata is refused, not dropped.
public struct FlaxMsgpackWriter: CheckpointWriter {
    public var format: CheckpointFormat { .msgpack }

    /// Flax's `MAX_CHUNK_SIZE`: larger arrays are stored in chunks of this many bytes.
    static let maxChunkBytes = 1 << 30

    public init() {}

    /// A node of the name tree: a tensor, or named children in first-seen order.
    private final class Node {
        var tensor: TensorInfo?
        var children: [(String, Node)] = []
        func child(_ key: String) -> Node {
            if let existing = children.first(where: { $0.0 == key }) { return existing.1 }
            let node = Node()
            children.append((key, node))
            return node
        }
    }

    public func write(_ source: any TensorSource, to path: String, options: WriteOptions) throws(CheckpointError) {
        let root = Node()
        for info in source.tensors {
            let keys = info.name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard keys.allSatisfy({ !$0.isEmpty }) else {
                throw CheckpointError(.invalidRequest, file: path, tensor: info.name, "a name with an empty '/' component has no place in a tree")
            }
            var node = root
            for key in keys { node = node.child(key) }
            guard node.tensor == nil, node.children.isEmpty else {
                throw CheckpointError(.invalidRequest, file: path, tensor: info.name, "this name is both a tensor and a group of tensors")
            }
            node.tensor = info
        }
        for info in source.tensors {
            var node = root
            for key in info.name.split(separator: "/").map(String.init) { node = node.child(key) }
            if !node.children.isEmpty {
                throw CheckpointError(.invalidRequest, file: path, tensor: info.name, "this name is both a tensor and a group of tensors")
            }
        }
        let carried = source.carriedMetadata.filter { !$0.key.hasPrefix("tubelet.") }
        if !carried.isEmpty {
            throw CheckpointError(.invalidRequest, file: path,
                "Flax msgpack has no place for the source's \(carried.count) metadata entries (\(carried.keys.sorted().prefix(3).joined(separator: ", ")))",
                fix: "Write npz, HDF5 or safetensors, which keep them")
        }
        let output = try OutputFile(path: path)
        try write(root, source: source, to: output)
        try output.close()
    }

    private func write(_ node: Node, source: any TensorSource, to output: OutputFile) throws(CheckpointError) {
        if let info = node.tensor {
            let tensor = try source.read(info.name)
            if tensor.bytes.count > Self.maxChunkBytes {
                try writeChunked(tensor, to: output)
            } else {
                try writeArray(tensor, shape: tensor.shape, range: 0..<tensor.bytes.count, reader: tensor.bytes.reader(), to: output)
            }
            return
        }
        try output.write(MsgpackEncoding.mapHeader(node.children.count))
        for (key, child) in node.children {
            try output.write(MsgpackEncoding.string(key))
            try write(child, source: source, to: output)
        }
    }

    /// `ExtType(1, packb((shape, dtype, bytes)))` for bytes `range` of `tensor`.
    /// The bytes are the next `range.count` of `reader`, which reads the tensor in order, or,
    /// for a tensor borrowed from a mapped input, that range of it copied by the kernel.
    private func writeArray(_ tensor: Tensor, shape: [Int], range: Range<Int>, reader: TensorBytesReader, to output: OutputFile) throws(CheckpointError) {
        var head: [UInt8] = [0x93] + MsgpackEncoding.arrayHeader(shape.count)
        for dimension in shape { head += MsgpackEncoding.integer(dimension) }
        head += MsgpackEncoding.string(tensor.dtype.rawValue) + MsgpackEncoding.binaryHeader(range.count)
        try output.write(MsgpackEncoding.extHeader(type: 1, length: head.count + range.count) + head)
        if let borrowed = tensor.bytes.borrowedSlice(range) {
            // Bytes of a mapped input, copied by the kernel (every chunk of such a tensor is,
            // so `reader` is never half used).
            try output.write(borrowed)
        } else {
            try copy(range.count, from: reader, to: output)
        }
    }

    /// Writes the next `count` bytes of `reader` a slice at a time.
    private func copy(_ count: Int, from reader: TensorBytesReader, to output: OutputFile) throws(CheckpointError) {
        var left = count
        while left > 0 {
            let slice = try reader.next(upTo: min(left, TensorBytes.sliceBytes))
            guard !slice.isEmpty else {
                throw CheckpointError(.malformed, file: output.path, "internal error: a tensor ended \(left) bytes early")
            }
            try output.write(slice)
            left -= slice.count
        }
    }

    private func writeChunked(_ tensor: Tensor, to output: OutputFile) throws(CheckpointError) {
        let perChunk = max(1, Self.maxChunkBytes / tensor.dtype.byteCount)
        let count = tensor.elementCount
        let chunks = stride(from: 0, to: count, by: perChunk).map { $0..<min($0 + perChunk, count) }
        let reader = tensor.bytes.reader()
        try output.write(MsgpackEncoding.mapHeader(3))
        try output.write(MsgpackEncoding.string(FlaxMsgpackSource.chunkedMarker) + [0xc3])
        try output.write(MsgpackEncoding.string("shape") + MsgpackEncoding.mapHeader(tensor.shape.count))
        for (index, dimension) in tensor.shape.enumerated() {
            try output.write(MsgpackEncoding.string(String(index)) + MsgpackEncoding.integer(dimension))
        }
        try output.write(MsgpackEncoding.string("chunks") + MsgpackEncoding.mapHeader(chunks.count))
        for (index, chunk) in chunks.enumerated() {
            try output.write(MsgpackEncoding.string(String(index)))
            let size = tensor.dtype.byteCount
            try writeArray(tensor, shape: [chunk.count], range: (chunk.lowerBound * size)..<(chunk.upperBound * size), reader: reader, to: output)
        }
    }
}

/// msgpack's big-endian headers, in the smallest form, as msgpack-python writes them.
enum MsgpackEncoding {
    static func bigEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    static func mapHeader(_ count: Int) -> [UInt8] {
        count < 16 ? [0x80 | UInt8(count)] : count < 1 << 16 ? [0xde] + bigEndian(UInt64(count), bytes: 2) : [0xdf] + bigEndian(UInt64(count), bytes: 4)
    }

    static func arrayHeader(_ count: Int) -> [UInt8] {
        count < 16 ? [0x90 | UInt8(count)] : count < 1 << 16 ? [0xdc] + bigEndian(UInt64(count), bytes: 2) : [0xdd] + bigEndian(UInt64(count), bytes: 4)
    }

    static func string(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        let n = bytes.count
        let header: [UInt8] = n < 32 ? [0xa0 | UInt8(n)] : n < 256 ? [0xd9, UInt8(n)]
            : n < 1 << 16 ? [0xda] + bigEndian(UInt64(n), bytes: 2) : [0xdb] + bigEndian(UInt64(n), bytes: 4)
        return header + bytes
    }

    static func binaryHeader(_ n: Int) -> [UInt8] {
        n < 256 ? [0xc4, UInt8(n)] : n < 1 << 16 ? [0xc5] + bigEndian(UInt64(n), bytes: 2) : [0xc6] + bigEndian(UInt64(n), bytes: 4)
    }

    static func integer(_ value: Int) -> [UInt8] {
        let v = UInt64(value)
        if value < 128 { return [UInt8(value)] }
        if value < 256 { return [0xcc, UInt8(value)] }
        if value < 1 << 16 { return [0xcd] + bigEndian(v, bytes: 2) }
        if value < 1 << 32 { return [0xce] + bigEndian(v, bytes: 4) }
        return [0xcf] + bigEndian(v, bytes: 8)
    }

    static func extHeader(type: Int8, length n: Int) -> [UInt8] {
        let t = UInt8(bitPattern: type)
        switch n {
        case 1: return [0xd4, t]
        case 2: return [0xd5, t]
        case 4: return [0xd6, t]
        case 8: return [0xd7, t]
        case 16: return [0xd8, t]
        default:
            return n < 256 ? [0xc7, UInt8(n), t] : n < 1 << 16 ? [0xc8] + bigEndian(UInt64(n), bytes: 2) + [t]
                : [0xc9] + bigEndian(UInt64(n), bytes: 4) + [t]
        }
    }
}
