/// Reads Flax checkpoints serialised with `flax.serialization.msgpack_serialize` (scenic's
/// and many JAX projects' `checkpoint_N` files): a msgpack tree of string-keyed maps whose
/// leaves are arrays packed as ext type 1 (`(shape, dtype name, C-order bytes)`).
///
/// The file is mapped and parsed once; tensors borrow their bytes from the mapping. Nested
/// keys are joined with `/`, so a scenic state reads as `optimizer/target/Transformer/…` or
/// `params/…`. Arrays Flax split into chunks (over 1 GiB) are joined again. Plain values
/// (a step counter) become metadata.
public struct FlaxMsgpackReader: CheckpointReader {
    public var format: CheckpointFormat { .msgpack }

    public init() {}

    public func open(_ path: String, options: ReadOptions) throws(CheckpointError) -> any TensorSource {
        try FlaxMsgpackSource(path: path, limits: options.limits)
    }
}

final class FlaxMsgpackSource: TensorSource {
    /// Where a tensor's bytes are: one range, or several chunks in order.
    private struct Location {
        let info: TensorInfo
        let ranges: [Range<Int>]
    }

    let path: String
    var format: CheckpointFormat { .msgpack }
    private(set) var tensors: [TensorInfo] = []
    private(set) var metadata: [String: String] = [:]
    private let file: MappedFile
    private let limits: Limits
    private var locations: [String: Location] = [:]

    /// Flax's ext type codes (`flax.serialization._MsgpackExtType`).
    static let ndarrayExt: Int8 = 1
    static let scalarExt: Int8 = 3
    static let chunkedMarker = "__msgpack_chunked_array__"

    init(path: String, limits: Limits = Limits()) throws(CheckpointError) {
        self.path = path
        self.limits = limits
        file = try MappedFile(path: path)
        var parser = MsgpackParser(file.bytes, range: 0..<file.bytes.count, afterPayloads: file.releaseAll)
        let root: MsgpackParser.Value
        do {
            root = try parser.value()
        } catch {
            throw CheckpointError(.malformed, file: path, "not a valid msgpack file at byte \(error.offset): \(error.reason)")
        }
        guard parser.position == file.bytes.count else {
            throw CheckpointError(.malformed, file: path, "\(file.bytes.count - parser.position) unexpected bytes follow the msgpack tree")
        }
        guard case .map = root else {
            throw CheckpointError(.malformed, file: path, "the msgpack file does not hold a tree of named values (its top level is not a map)")
        }
        try walk(root, name: "")
        // No tensor borrows from the mapping yet: give back the pages the parse touched.
        file.releaseAll()
    }

    private func walk(_ value: MsgpackParser.Value, name: String) throws(CheckpointError) {
        switch value {
        case .map(let items):
            if let chunked = try chunkedArray(items, name: name) {
                try add(name, chunked.info, chunked.ranges)
                return
            }
            // Flax restores a repeated key as "last wins"; a tensor and a metadata value of one
            // name would silently shadow each other here, so any repeat is refused.
            var keys: Set<String> = []
            for (key, child) in items {
                guard case .string(let text) = key else {
                    throw CheckpointError(.malformed, file: path, tensor: name.isEmpty ? nil : name, "a map key is not a string")
                }
                guard !text.isEmpty, !text.contains("/") else {
                    throw CheckpointError(.malformed, file: path, tensor: name + "/" + text,
                        "key '\(text)' is empty or contains '/', which would make tensor names ambiguous")
                }
                guard keys.insert(text).inserted else {
                    throw CheckpointError(.malformed, file: path, tensor: name.isEmpty ? text : name + "/" + text,
                        "the key appears twice in one map", fix: "The file is corrupt; re-save it")
                }
                try walk(child, name: name.isEmpty ? text : name + "/" + text)
            }
        case .array(let items):
            for (index, child) in items.enumerated() { try walk(child, name: name.isEmpty ? "\(index)" : "\(name)/\(index)") }
        case .ext(let type, let range):
            guard type == Self.ndarrayExt || type == Self.scalarExt else {
                throw CheckpointError(.unsupported, file: path, tensor: name,
                    "msgpack ext type \(type) (\(type == 2 ? "a complex number" : "unknown")) is not an array Tubelet reads")
            }
            let (info, range) = try array(in: range, name: name)
            try add(name, info, [range])
        case .string(let text): metadata[name] = text
        case .integer(let number): metadata[name] = String(number)
        case .unsigned(let number): metadata[name] = String(number)
        case .double(let number): metadata[name] = String(number)
        case .boolean(let flag): metadata[name] = flag ? "true" : "false"
        case .nil_: metadata[name] = "null"
        case .binary(let range): metadata[name] = "<\(range.count) bytes>"
        }
    }

    private func add(_ name: String, _ info: TensorInfo, _ ranges: [Range<Int>]) throws(CheckpointError) {
        guard locations[name] == nil else {
            throw CheckpointError(.malformed, file: path, tensor: name, "two values have this name")
        }
        guard tensors.count < limits.maxTensorCount else {
            throw CheckpointError(.limitExceeded, file: path, "more than \(limits.maxTensorCount) arrays",
                fix: "If the file is trusted, raise the limit with \(setting: .maxTensorCount)")
        }
        locations[name] = Location(info: info, ranges: ranges)
        tensors.append(info)
        // Reading each array's record header touched its pages: give them back in batches,
        // as the parse does.
        if tensors.count % MsgpackParser.payloadBatch == 0 { file.releaseAll() }
    }

    /// The `(shape, dtype, bytes)` triple of an ndarray ext payload.
    private func array(in payload: Range<Int>, name: String) throws(CheckpointError) -> (TensorInfo, Range<Int>) {
        var parser = MsgpackParser(file.bytes, range: payload)
        let triple: MsgpackParser.Value
        do {
            triple = try parser.value()
        } catch {
            throw CheckpointError(.malformed, file: path, tensor: name, "the array record is not valid msgpack: \(error.reason)")
        }
        guard case .array(let parts) = triple, parts.count == 3, case .string(let dtypeName) = parts[1],
              case .binary(let data) = parts[2] else {
            throw CheckpointError(.malformed, file: path, tensor: name, "the array record is not (shape, dtype, bytes)")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw CheckpointError(.unsupported, file: path, tensor: name, "the array has dtype '\(dtypeName)'",
                fix: "Supported dtypes: \(DType.supportedNames)")
        }
        let shape = try integers(parts[0], name: name, what: "shape")
        guard shape.count <= limits.maxRank else {
            throw CheckpointError(.limitExceeded, file: path, tensor: name,
                "the shape has \(shape.count) dimensions, over the limit of \(limits.maxRank)",
                fix: "If the file is trusted, raise the limit with \(setting: .maxRank)")
        }
        guard let expected = Shape.byteCount(shape, dtype) else {
            throw CheckpointError(.malformed, file: path, tensor: name,
                "shape \(Shape.describe(shape)) of \(dtype.rawValue) overflows 64-bit sizes")
        }
        guard expected == data.count else {
            throw CheckpointError(.malformed, file: path, tensor: name,
                "shape \(Shape.describe(shape)) of \(dtype.rawValue) needs \(expected) bytes but the array holds \(data.count)")
        }
        return (TensorInfo(name: name, dtype: dtype, shape: shape), data)
    }

    private func integers(_ value: MsgpackParser.Value, name: String, what: String) throws(CheckpointError) -> [Int] {
        var items: [MsgpackParser.Value]
        switch value {
        case .array(let list): items = list
        case .map(let pairs):
            // Flax stores tuples as {"0": a, "1": b, …} in chunked arrays.
            items = pairs.map(\.value)
        default: throw CheckpointError(.malformed, file: path, tensor: name, "the \(what) is not a list of integers")
        }
        var result: [Int] = []
        for item in items {
            switch item {
            case .integer(let n) where n >= 0 && n <= Int64(Int.max): result.append(Int(n))
            case .unsigned(let n) where n <= UInt64(Int.max): result.append(Int(n))
            default: throw CheckpointError(.malformed, file: path, tensor: name, "the \(what) holds something other than a non-negative integer")
            }
        }
        return result
    }

    /// Flax's form for arrays over 1 GiB: `{"__msgpack_chunked_array__": true, "shape": {...},
    /// "chunks": {"0": array, …}}`, the flattened array in pieces.
    private func chunkedArray(_ items: [(key: MsgpackParser.Value, value: MsgpackParser.Value)],
                              name: String) throws(CheckpointError) -> (info: TensorInfo, ranges: [Range<Int>])? {
        var fields: [String: MsgpackParser.Value] = [:]
        for (key, value) in items { if case .string(let text) = key { fields[text] = value } }
        guard case .boolean(true)? = fields[Self.chunkedMarker] else { return nil }
        guard let shapeValue = fields["shape"], case .map(let chunkItems)? = fields["chunks"] else {
            throw CheckpointError(.malformed, file: path, tensor: name, "a chunked array lacks its shape or chunks")
        }
        let shape = try integers(shapeValue, name: name, what: "shape")
        guard shape.count <= limits.maxRank else {
            throw CheckpointError(.limitExceeded, file: path, tensor: name,
                "the shape has \(shape.count) dimensions, over the limit of \(limits.maxRank)",
                fix: "If the file is trusted, raise the limit with \(setting: .maxRank)")
        }
        var ranges: [Range<Int>] = []
        var dtype: DType?
        for (index, item) in chunkItems.enumerated() {
            guard case .string(String(index)) = item.key, case .ext(Self.ndarrayExt, let payload) = item.value else {
                throw CheckpointError(.malformed, file: path, tensor: name, "chunk \(index) of a chunked array is missing or out of order")
            }
            let (chunk, range) = try array(in: payload, name: name)
            guard dtype == nil || dtype == chunk.dtype else {
                throw CheckpointError(.malformed, file: path, tensor: name, "the chunks of one array have different dtypes")
            }
            dtype = chunk.dtype
            ranges.append(range)
        }
        guard let dtype, let expected = Shape.byteCount(shape, dtype), expected == ranges.reduce(0, { $0 + $1.count }) else {
            throw CheckpointError(.malformed, file: path, tensor: name, "the chunks do not add up to shape \(Shape.describe(shape))")
        }
        return (TensorInfo(name: name, dtype: dtype, shape: shape), ranges)
    }

    func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard let location = locations[name] else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such array in the file")
        }
        do {
            if location.ranges.count == 1 {
                return try Tensor(dtype: location.info.dtype, shape: location.info.shape, bytes: file.borrow(location.ranges[0]))
            }
            // Flax's chunked arrays are joined as they are read: each chunk is borrowed from
            // the mapping and read in order, so the array is never whole in memory.
            let total = location.ranges.reduce(0) { $0 + $1.count }
            var chunks: [TensorBytes] = []
            for range in location.ranges { chunks.append(try file.borrow(range)) }
            let parts = chunks
            let bytes = TensorBytes(count: total) { () -> TensorBytes.Filler in
                var readers = parts.map { $0.reader() }[...]
                return { (buffer) throws(CheckpointError) in
                    guard let target = buffer.baseAddress else { return }
                    var filled = 0
                    while filled < buffer.count, let reader = readers.first {
                        let piece = try reader.next(upTo: buffer.count - filled)
                        if let base = piece.baseAddress, !piece.isEmpty {
                            (target + filled).copyMemory(from: base, byteCount: piece.count)
                            filled += piece.count
                        }
                        if reader.remaining == 0 { readers.removeFirst() }
                    }
                }
            }
            return try Tensor(dtype: location.info.dtype, shape: location.info.shape, bytes: bytes)
        } catch {
            throw error.about(file: path, tensor: name)
        }
    }
}
