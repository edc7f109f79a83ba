/// Reads a Keras 3 `.keras` archive: the zip that `model.save('x.keras')` writes, whose
/// `model.weights.h5` member holds the weights in Keras 3's `layers/…/vars/i` layout.
///
/// The member is read through libzip into memory, checked against its declared size and CRC
/// (as every zip member Tubelet reads), and opened by libhdf5 from memory with the core driver:
/// no temporary file is written. The archive's `config.json` and `metadata.json`, when present
/// and under a megabyte, are added to the metadata under those names. Tensors and the rest of
/// the metadata are exactly those of the `.weights.h5` (see ``HDF5Source``).
public struct KerasReader: CheckpointReader {
    public var format: CheckpointFormat { .keras }

    /// The member holding the weights.
    static let weightsMember = "model.weights.h5"
    /// JSON members kept as metadata, and the largest size kept.
    static let jsonMembers = ["config.json", "metadata.json"]
    static let maxJSONMemberBytes = 1 << 20

    public init() {}

    public func open(_ path: String, options: ReadOptions) throws(CheckpointError) -> any TensorSource {
        let archive = try ZipArchiveReader(path: path, limits: options.limits)
        let matches = archive.entries.filter { $0.name == Self.weightsMember }
        guard let entry = matches.first else {
            throw CheckpointError(.malformed, file: path, "the archive has no \(Self.weightsMember) member, so it holds no Keras weights",
                fix: "Check that this is a Keras 3 .keras file")
        }
        guard matches.count == 1 else {
            throw CheckpointError(.malformed, file: path, tensor: entry.name, "the archive holds two members with this name",
                fix: "Re-save the model with Keras")
        }
        let image = try Self.readMember(entry, of: archive)
        let file = try image.withUnsafeBytes { (bytes) throws(CheckpointError) -> HDF5File in
            try HDF5File(image: bytes, name: Self.weightsMember, path: path)
        }
        var extra: [String: String] = [:]
        for name in Self.jsonMembers {
            guard let member = archive.entries.first(where: { $0.name == name }), member.size <= Self.maxJSONMemberBytes else { continue }
            let bytes = try Self.readMember(member, of: archive)
            extra[name] = String(decoding: bytes.array, as: UTF8.self)
        }
        return try HDF5Source(file: file, format: .keras, options: options, extraMetadata: extra)
    }

    /// The whole of `entry`, checked against its declared size and CRC.
    private static func readMember(_ entry: ZipEntry, of archive: ZipArchiveReader) throws(CheckpointError) -> TensorBytes {
        let stream = try archive.stream(entry)
        let bytes = try TensorBytes(count: entry.size) { (buffer) throws(CheckpointError) in
            try stream.readExactly(into: buffer)
        }
        try stream.finish()
        return bytes
    }
}
