/// The records of a `torch.save` zip archive, checked the way `torch.load` checks them.
///
/// Every record sits under one top-level folder (the archive name: the file stem when torch
/// wrote it): `NAME/data.pkl`, `NAME/data/<key>`, `NAME/version`, and since torch 2.x
/// `NAME/byteorder`, `NAME/.format_version`, `NAME/.storage_alignment`,
/// `NAME/.data/serialization_id`. Only `data.pkl` and `version` are required.
struct TorchArchive {
    let reader: ZipArchiveReader
    /// The folder every record is in, with its trailing `/`.
    let prefix: String
    /// Whether the storages are big-endian (`byteorder` says `big`).
    let isBigEndian: Bool
    private let records: [String: ZipEntry]

    /// The largest small text record (`version`, `byteorder`) read.
    static let maxTextRecordBytes = 64

    var path: String { reader.path }

    init(reader: ZipArchiveReader) throws(CheckpointError) {
        self.reader = reader
        let path = reader.path
        guard let first = reader.entries.first else {
            throw CheckpointError(.malformed, file: path, "the zip archive is empty, so it is not a torch checkpoint")
        }
        guard let slash = first.name.firstIndex(of: "/") else {
            throw CheckpointError(.malformed, file: path,
                "not a torch archive: entries are not in a top-level folder (the first is '\(first.name)')",
                fix: "torch.save puts every record under one folder; the file was not written by torch.save")
        }
        prefix = String(first.name[...slash])
        var records: [String: ZipEntry] = [:]
        for entry in reader.entries {
            guard entry.name.hasPrefix(prefix) else {
                throw CheckpointError(.malformed, file: path, tensor: entry.name,
                    "the archive mixes top-level folders ('\(prefix)' and this entry's)",
                    fix: "torch.save puts every record under one folder; the file was not written by torch.save")
            }
            let name = String(entry.name.dropFirst(prefix.count))
            guard records.updateValue(entry, forKey: name) == nil else {
                throw CheckpointError(.malformed, file: path, tensor: entry.name, "the archive holds two records with this name",
                    fix: "The archive is corrupt; re-save it")
            }
        }
        self.records = records
        if records["constants.pkl"] != nil || records.keys.contains(where: { $0.hasPrefix("code/") }) {
            throw CheckpointError(.unsupported, file: path,
                "this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint",
                fix: "Load it with torch.jit.load in Python and torch.save(model.state_dict(), f)")
        }
        guard records["data.pkl"] != nil else {
            throw CheckpointError(.malformed, file: path, "the torch archive has no \(prefix)data.pkl",
                fix: "The archive is incomplete or not a torch checkpoint; re-save it with torch.save")
        }
        guard let versionText = try Self.text(of: records["version"] ?? records[".data/version"], reader: reader) else {
            throw CheckpointError(.malformed, file: path, "the torch archive has no \(prefix)version record",
                fix: "The archive is incomplete; re-save it with torch.save")
        }
        guard let version = Int(trimmed(versionText)), (1...10).contains(version) else {
            throw CheckpointError(.unsupported, file: path, "torch archive version '\(trimmed(versionText))' is not supported (torch reads 1 to 10)")
        }
        switch try Self.text(of: records["byteorder"], reader: reader).map(trimmed) {
        case nil, "little"?: isBigEndian = false
        case "big"?: isBigEndian = true
        case let other?:
            throw CheckpointError(.malformed, file: path, tensor: prefix + "byteorder",
                "the byte order is '\(other)', neither 'little' nor 'big'")
        }
    }

    /// The record `name` (relative to the folder), if present.
    func record(_ name: String) -> ZipEntry? {
        records[name]
    }

    private static func text(of entry: ZipEntry?, reader: ZipArchiveReader) throws(CheckpointError) -> String? {
        guard let entry else { return nil }
        guard entry.size <= maxTextRecordBytes else {
            throw CheckpointError(.malformed, file: reader.path, tensor: entry.name,
                "the record holds \(entry.size) bytes, more than such a record ever does")
        }
        let stream = try reader.stream(entry)
        let bytes = try stream.read(entry.size)
        try stream.finish()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The pickle in `data.pkl`, read whole and CRC-checked; at most `maxBytes` (a ViT-H
    /// state dict's is a few hundred kB).
    func pickleBytes(maxBytes: Int) throws(CheckpointError) -> [UInt8] {
        guard let entry = records["data.pkl"] else { return [] }
        guard entry.size <= maxBytes else {
            throw CheckpointError(.limitExceeded, file: path, tensor: entry.name,
                "data.pkl is \(entry.size) bytes, over the limit of \(maxBytes)",
                fix: "If the file is trusted, raise the limit with \(setting: .maxHeaderBytes)")
        }
        let stream = try reader.stream(entry)
        let bytes = try stream.read(entry.size)
        try stream.finish()
        return bytes
    }
}

/// `text` without surrounding spaces, tabs and line breaks (`version` ends with `\n`).
private func trimmed(_ text: String) -> String {
    let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
    var rest = Substring(text)
    while let first = rest.first, isBlank(first) { rest.removeFirst() }
    while let last = rest.last, isBlank(last) { rest.removeLast() }
    return String(rest)
}
