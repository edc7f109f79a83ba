/// The parsed and validated header of a safetensors file: where each tensor's bytes are.
///
/// Validation follows the reference reader (`safetensors/src/tensor.rs`) and is stricter
/// where it is lenient: the header is at most 100 MB and lies inside the file; every tensor
/// has a known dtype, a non-negative integer shape and `END - BEGIN = numel × itemsize`;
/// sorted by offset the tensors start at 0, follow each other without gap or overlap, and
/// end exactly at the end of the file; `__metadata__` maps strings to strings. Unlike the
/// reference, a key that appears twice (a tensor or a field) is an error, not "last wins".
struct SafeTensorsHeader: Sendable {
    /// One tensor's entry; offsets are relative to ``dataOffset``.
    struct Entry: Sendable {
        var name: String
        var dtype: DType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// The reference implementation's `MAX_HEADER_SIZE`: what the writer stays within, so
    /// every reader accepts its files. The reader's own cap is ``Limits/maxHeaderBytes``.
    static let maxHeaderBytes = Limits.defaultMaxHeaderBytes

    /// Tensors in data order (the order of their offsets).
    var entries: [Entry]
    /// The `__metadata__` map, empty when absent.
    var metadata: [String: String]
    /// Where the data buffer starts in the file: 8 + the header length.
    var dataOffset: Int

    /// Parses the header at the start of `file` (the whole file's bytes) and checks it
    /// against the file's size. `path` is for messages only.
    static func parse(_ file: UnsafeRawBufferPointer, path: String, limits: Limits = Limits()) throws(CheckpointError) -> SafeTensorsHeader {
        guard file.count >= 8 else {
            throw CheckpointError(.truncated, file: path,
                "the file is \(file.count) bytes, too small for a safetensors header (an 8-byte length, then JSON)",
                fix: "The file is truncated; re-save or re-download it")
        }
        let declared = file.loadUnaligned(as: UInt64.self).littleEndian
        guard declared <= UInt64(limits.maxHeaderBytes) else {
            throw CheckpointError(.limitExceeded, file: path,
                "the safetensors header declares \(declared) bytes, over the limit of \(limits.maxHeaderBytes)",
                fix: "The file is corrupt or not a safetensors file; if it is trusted, raise the limit with \(setting: .maxHeaderBytes)")
        }
        let headerLength = Int(declared)
        guard headerLength <= file.count - 8 else {
            throw CheckpointError(.truncated, file: path,
                "the safetensors header declares \(headerLength) bytes but only \(file.count - 8) follow the length",
                fix: "The file is truncated; re-save or re-download it")
        }
        let text = Array(UnsafeRawBufferPointer(rebasing: file[8..<(8 + headerLength)]))
        var header = try parse(headerText: text, path: path, limits: limits)
        header.dataOffset = 8 + headerLength
        try header.checkOffsets(bufferLength: file.count - 8 - headerLength, path: path)
        return header
    }

    /// Parses the JSON text of a header (without checking offsets against a file).
    static func parse(headerText text: [UInt8], path: String, limits: Limits = Limits()) throws(CheckpointError) -> SafeTensorsHeader {
        guard String(validating: text, as: UTF8.self) != nil else {
            throw CheckpointError(.malformed, file: path, "the safetensors header is not valid UTF-8",
                fix: "The file is corrupt or not a safetensors file")
        }
        let root: JSONValue
        do {
            root = try StrictJSON.parse(text)
        } catch {
            throw CheckpointError(.malformed, file: path,
                "the safetensors header is not valid JSON: \(error.reason) (at byte \(error.offset) of the header)",
                fix: "The file is corrupt or not a safetensors file")
        }
        guard case .object(let members) = root else {
            throw CheckpointError(.malformed, file: path, "the safetensors header is \(root.kindName), not a JSON object")
        }
        guard members.count - 1 <= limits.maxTensorCount else {  // one may be __metadata__
            throw CheckpointError(.limitExceeded, file: path,
                "the safetensors header lists \(members.count) entries, over the limit of \(limits.maxTensorCount)",
                fix: "If the file is trusted, raise the limit with \(setting: .maxTensorCount)")
        }
        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        var names: Set<String> = []
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try parseMetadata(value, path: path)
                continue
            }
            let entry = try parseEntry(name: name, value, path: path, maxRank: limits.maxRank)
            // Swift compares strings by Unicode canonical equivalence; two names that differ
            // only in normalisation would collide in every name → tensor map.
            guard names.insert(name).inserted else {
                throw CheckpointError(.malformed, file: path, tensor: name,
                    "two tensor names in the header are the same text in different Unicode normalisations")
            }
            entries.append(entry)
        }
        return SafeTensorsHeader(entries: entries, metadata: metadata, dataOffset: 8 + text.count)
    }

    private static func parseMetadata(_ value: JSONValue, path: String) throws(CheckpointError) -> [String: String] {
        guard case .object(let pairs) = value else {
            throw CheckpointError(.malformed, file: path, "'__metadata__' is \(value.kindName), not an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, item) in pairs {
            guard case .string(let text) = item else {
                throw CheckpointError(.malformed, file: path,
                    "'__metadata__' entry '\(key)' is \(item.kindName); safetensors metadata values must be strings")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(name: String, _ value: JSONValue, path: String, maxRank: Int) throws(CheckpointError) -> Entry {
        guard case .object(let fields) = value else {
            throw CheckpointError(.malformed, file: path, tensor: name, "the header entry is \(value.kindName), not an object")
        }
        func field(_ key: String) throws(CheckpointError) -> JSONValue {
            guard let found = fields.first(where: { $0.key == key }) else {
                throw CheckpointError(.malformed, file: path, tensor: name, "the header entry has no '\(key)'")
            }
            return found.value
        }
        guard case .string(let dtypeName) = try field("dtype") else {
            throw CheckpointError(.malformed, file: path, tensor: name, "'dtype' is not a string")
        }
        guard let dtype = SafeTensorsDType.dtype(named: dtypeName) else {
            if SafeTensorsDType.allNames.contains(dtypeName) {
                throw CheckpointError(.unsupported, file: path, tensor: name,
                    "dtype \(dtypeName) is not supported (Tubelet reads \(SafeTensorsDType.supportedNames))",
                    fix: "Cast the tensor to F16, BF16 or F32 in Python first")
            }
            throw CheckpointError(.malformed, file: path, tensor: name,
                "unknown dtype '\(dtypeName)'; safetensors dtypes are \(SafeTensorsDType.allNames.joined(separator: ", ")) (case-sensitive)")
        }
        guard case .array(let dimensions) = try field("shape") else {
            throw CheckpointError(.malformed, file: path, tensor: name, "'shape' is not an array")
        }
        guard dimensions.count <= maxRank else {
            throw CheckpointError(.limitExceeded, file: path, tensor: name,
                "the shape has \(dimensions.count) dimensions, over the limit of \(maxRank)",
                fix: "If the file is trusted, raise the limit with \(setting: .maxRank)")
        }
        var shape: [Int] = []
        for dimension in dimensions {
            guard let size = dimension.integer else {
                throw CheckpointError(.malformed, file: path, tensor: name,
                    "the shape holds \(describe(dimension)), not a non-negative integer")
            }
            shape.append(size)
        }
        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2 else {
            throw CheckpointError(.malformed, file: path, tensor: name, "'data_offsets' is not an array of two integers")
        }
        guard let begin = offsets[0].integer, let end = offsets[1].integer else {
            throw CheckpointError(.malformed, file: path, tensor: name,
                "'data_offsets' holds \(describe(offsets[0])) and \(describe(offsets[1])), not two non-negative integers")
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    private static func describe(_ value: JSONValue) -> String {
        if case .number(let text) = value { return text }
        return value.kindName
    }

    /// Checks that the tensors tile the data buffer exactly, as the reference reader does.
    private mutating func checkOffsets(bufferLength: Int, path: String) throws(CheckpointError) {
        let sorted = entries.enumerated().sorted { a, b in
            (a.element.begin, a.element.end, a.offset) < (b.element.begin, b.element.end, b.offset)
        }.map(\.element)
        var expected = 0
        for entry in sorted {
            guard entry.end >= entry.begin else {
                throw CheckpointError(.malformed, file: path, tensor: entry.name,
                    "invalid data_offsets [\(entry.begin), \(entry.end)]: the end comes before the beginning",
                    fix: "The header is corrupt; re-save the file")
            }
            guard let bytes = Shape.byteCount(entry.shape, entry.dtype) else {
                throw CheckpointError(.malformed, file: path, tensor: entry.name,
                    "shape \(Shape.describe(entry.shape)) of \(entry.dtype.rawValue) overflows 64-bit sizes")
            }
            guard entry.begin == expected else {
                let what = entry.begin < expected ? "overlaps the previous tensor, which ends at \(expected)"
                                                  : "leaves a gap after the previous tensor, which ends at \(expected)"
                throw CheckpointError(.malformed, file: path, tensor: entry.name,
                    "invalid data_offsets [\(entry.begin), \(entry.end)]: the tensor \(what)",
                    fix: "Tensors must tile the data buffer from offset 0 without gaps or overlap; the file is corrupt")
            }
            guard entry.end - entry.begin == bytes else {
                throw CheckpointError(.malformed, file: path, tensor: entry.name,
                    "shape \(Shape.describe(entry.shape)) of \(entry.dtype.rawValue) needs \(bytes) bytes, but data_offsets [\(entry.begin), \(entry.end)] span \(entry.end - entry.begin)",
                    fix: "The header is corrupt; re-save the file")
            }
            expected = entry.end
        }
        guard expected == bufferLength else {
            if expected > bufferLength {
                throw CheckpointError(.truncated, file: path,
                    "the tensors need \(expected) bytes of data but the file holds \(bufferLength) after the header",
                    fix: "The file is truncated; re-save or re-download it")
            }
            throw CheckpointError(.malformed, file: path,
                "the tensors cover \(expected) bytes but \(bufferLength) bytes of data follow the header (file not fully covered)",
                fix: "The header understates the data or something was appended; re-save the file")
        }
        entries = sorted
    }
}
