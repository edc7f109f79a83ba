#if canImport(Glibc)
import Glibc
#endif

/// Tells a file's format from its first bytes (and, for zip archives, its member names),
/// never from its extension: a `.bin` may be PyTorch or anything else.
enum FormatDetector {
    static func detect(_ path: String, limits: Limits = Limits()) throws(CheckpointError) -> CheckpointFormat {
        try SeekableInput.check(path)
        if let weights = try ModelDirectory.weightsFile(in: path) { return weights.format }
        let head = try readHead(path, count: 16)
        guard !head.isEmpty else {
            throw CheckpointError(.malformed, file: path, "the file is empty")
        }
        if head.starts(with: [0x93] + Array("NUMPY".utf8)) { return .npy }
        if head.starts(with: Array("PK\u{03}\u{04}".utf8)) || head.starts(with: Array("PK\u{05}\u{06}".utf8)) {
            return try classifyZip(path, limits: limits)
        }
        if try hasHDF5Signature(path) { return .hdf5 }
        if head.starts(with: [0x80, 0x02, 0x8a, 0x0a]) {
            throw CheckpointError(.unsupported, file: path, "this is a legacy (pre-1.6, non-zip) PyTorch checkpoint",
                fix: "Re-save it with torch >= 1.6: torch.save(torch.load(f), g)")
        }
        if head.count > 8, head[8] == UInt8(ascii: "{") { return .safetensors }
        if head.first == UInt8(ascii: "{"), ModelDirectory.isIndexName(path) {
            // A shard index: the shards' format is in its name, as Hugging Face names them.
            return path.hasSuffix(".safetensors.index.json") ? .safetensors : .pytorch
        }
        if looksLikeMsgpackTree(head) { return .msgpack }
        if head.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == UInt8(ascii: "{") {
            // A model's config.json (or another JSON file) given instead of its weights.
            let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
            let hasWeights = (try? ModelDirectory.weightsFile(in: directory)) != nil
            throw CheckpointError(.unrecognisedFormat, file: path, "a JSON file, not a weight file",
                fix: hasWeights ? "Pass its directory, \(directory), to read the model it describes"
                    : "Pass the weights file (.safetensors, .npz, .h5, .pth, .msgpack …) or a Hugging Face model directory")
        }
        let shown = head.prefix(8).map { byte in
            (0x20..<0x7f).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16, uppercase: false).leftPadded(to: 2)
        }.joined()
        throw CheckpointError(.unrecognisedFormat, file: path, "unrecognised checkpoint format (first bytes: \"\(shown)\")",
            fix: "Tubelet reads \(CheckpointFormat.readableNames)")
    }

    /// A Flax msgpack checkpoint is a map whose first key is a string: a map tag, then a
    /// string tag (scenic's `checkpoint_N` files have no extension to go by).
    static func looksLikeMsgpackTree(_ head: [UInt8]) -> Bool {
        guard head.count >= 2 else { return false }
        let keyStart: Int
        switch head[0] {
        case 0x81...0x8f: keyStart = 1
        case 0xde: keyStart = 3
        case 0xdf: keyStart = 5
        default: return false
        }
        guard keyStart < head.count else { return false }
        return (0xa1...0xbf).contains(head[keyStart]) || (0xd9...0xdb).contains(head[keyStart])
    }

    /// The archive's member names decide between npz, PyTorch and Keras.
    private static func classifyZip(_ path: String, limits: Limits) throws(CheckpointError) -> CheckpointFormat {
        // The names straight from the central directory; libzip (which the format's reader
        // opens next) only when that cannot be read, so its message reports the damage.
        let names: [String]
        if let file = try? MappedFile(path: path), let listed = ZipDirectory.memberNames(file.bytes, limit: limits.maxTensorCount) {
            names = listed
        } else {
            names = try ZipArchiveReader(path: path, limits: limits).entries.map(\.name)
        }
        if names.contains(where: { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }) { return .pytorch }
        if names.contains(where: { $0.hasSuffix("/constants.pkl") || $0 == "constants.pkl" }) { return .pytorch }
        // A torch archive that lost its data.pkl is still recognisable by torch's own records.
        if names.contains(where: { $0.hasSuffix("/version") || $0.hasSuffix("/byteorder") || $0.hasSuffix("/.data/version") }) {
            return .pytorch
        }
        if names.contains("model.weights.h5") { return .keras }
        return .npz
    }

    /// HDF5's superblock signature sits at offset 0, 512, 1024, 2048, …
    private static func hasHDF5Signature(_ path: String) throws(CheckpointError) -> Bool {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
        var offset = 0
        while offset <= 1 << 20 {
            let bytes = try readHead(path, count: 8, at: offset)
            if bytes.count < 8 { return false }
            if bytes == signature { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }

    static func readHead(_ path: String, count: Int, at offset: Int = 0) throws(CheckpointError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw CheckpointError(.cannotOpen, file: path, "cannot open: \(reason)")
        }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
            throw CheckpointError(.cannotOpen, file: path, "is a directory, not a checkpoint file")
        }
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
        guard got >= 0 else {
            throw CheckpointError(.io, file: path, "cannot read: \(String(cString: strerror(errno)))")
        }
        return Array(buffer.prefix(got))
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
