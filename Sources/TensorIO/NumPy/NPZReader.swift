import FoundationEssentials

/// Reads a NumPy `.npz` archive (`np.savez`, `np.savez_compressed`) through libzip.
///
/// Opening reads the central directory and each member's `.npy` header, never tensor data.
/// Each member's declared size must equal its header plus its data. A stored member (what
/// `np.savez` writes) is read in place from the memory-mapped file, after its CRC-32 is
/// checked over the mapped bytes; a deflated one is read through libzip, which reads exactly
/// the declared size, confirms the member ends there and checks the CRC.
public struct NPZReader: CheckpointReader {
    public var format: CheckpointFormat { .npz }

    public init() {}

    public func open(_ path: String, options: ReadOptions) throws(CheckpointError) -> any TensorSource {
        try NPZSource(path: path, options: options)
    }
}

final class NPZSource: TensorSource {
    let path: String
    private(set) var tensors: [TensorInfo] = []
    private(set) var metadata: [String: String] = [:]
    var format: CheckpointFormat { .npz }
    private let archive: ZipArchiveReader
    private var members: [String: (entry: ZipEntry, header: NPYHeader)] = [:]
    /// The file mapped into memory, and where each stored member's bytes are in it (by
    /// libzip's index), for members read in place; nil when the file cannot be mapped.
    private let mapped: (file: MappedFile, members: [Int: ZipDirectory.Member])?
    /// Deflated members at least this large are inflated as they are read rather than whole.
    static let streamedDeflatedBytes = 16 << 20
    /// The first read of a member's `.npy` header: the whole header, as `np.save` writes it.
    private static let usualHeaderBytes = 128
    /// The CRC of the data (after the `.npy` header) of each member whose CRC has been
    /// checked, so a second read does not check it again and a zip writer need not compute it.
    private var dataCRCs: [Int: UInt32] = [:]
    /// Deflated members whose CRC libzip has checked.
    private var verified: Set<Int> = []

    init(path: String, options: ReadOptions) throws(CheckpointError) {
        self.path = path
        archive = try ZipArchiveReader(path: path, limits: options.limits)
        mapped = Self.storedMembers(of: archive, path: path)
        let stored = NPZMetadata.decode(archive.comment)
        metadata = stored.metadata
        var ignored: [String] = []
        var seen: Set<String> = []
        for entry in archive.entries {
            guard seen.insert(entry.name).inserted else {
                let tensor = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
                throw CheckpointError(.malformed, file: path, tensor: tensor, "the archive holds two members with this name",
                    fix: "Re-save the archive; numpy cannot tell which one is meant either")
            }
            guard entry.name.hasSuffix(".npy") else {
                if !entry.name.hasSuffix("/") { ignored.append(entry.name) }
                continue
            }
            let name = String(entry.name.dropLast(4))
            var memberOptions = options
            if stored.bfloat16Names.contains(name) { memberOptions.opaqueTwoByteAsBFloat16 = true }
            let header = try readHeader(entry, name: name, options: memberOptions)
            members[name] = (entry, header)
            tensors.append(TensorInfo(name: name, dtype: header.dtype, shape: header.shape))
        }
        // No tensor borrows from the mapping yet: give back the central directory's pages.
        mapped?.file.releaseAll()
        if !ignored.isEmpty {
            // numpy returns such members as raw bytes; they are not tensors, but they are not
            // silently dropped either: `inspect` shows them.
            metadata["npz.non_array_members"] = ignored.joined(separator: ", ")
        }
    }

    private func readHeader(_ entry: ZipEntry, name: String, options: ReadOptions) throws(CheckpointError) -> NPYHeader {
        do {
            let read = try headerReader(entry)
            // np.save pads a header to 64 or 128 bytes in all, so one read of that much
            // usually holds it whole.
            let firstBytes = try read(min(Self.usualHeaderBytes, entry.size))
            let preamble = try NPYHeader.parsePreamble(firstBytes, maxHeaderBytes: options.limits.maxNPYHeaderBytes)
            let textEnd = preamble.textOffset + preamble.textLength
            guard textEnd <= entry.size else {
                throw CheckpointError(.truncated, file: path, tensor: name,
                    "the .npy header declares \(preamble.textLength) bytes but the member holds \(entry.size) in all")
            }
            // The text may end inside the bytes already read.
            let rest = try read(max(0, textEnd - firstBytes.count))
            let text = (firstBytes + rest)[preamble.textOffset..<textEnd]
            let header = try NPYHeader.parseText(text, version: preamble.version, dataOffset: textEnd, options: options)
            let expected = textEnd + header.byteCount
            guard expected == entry.size else {
                let kind: CheckpointError.Kind = expected > entry.size ? .truncated : .malformed
                throw CheckpointError(kind, file: path, tensor: name,
                    "the header declares shape \(Shape.describe(header.shape)) of \(header.dtype.rawValue) = \(header.byteCount) bytes, but the member holds \(entry.size - textEnd) bytes of data",
                    fix: "The archive is truncated or corrupt; re-save it")
            }
            return header
        } catch let problem as NPYHeader.Problem {
            throw CheckpointError(problem.kind, file: path, tensor: name, SettingText(verbatim: problem.reason), fix: problem.fix)
        } catch let error as CheckpointError {
            throw error.about(file: path, tensor: name)
        } catch {
            throw CheckpointError(.malformed, file: path, tensor: name, "\(error)")
        }
    }

    /// Sequential reads of the first bytes of `entry`, for its `.npy` header: from the file
    /// with `pread` for a stored member (no libzip stream to open per member, which was most
    /// of the time `inspect` spent reading an npz; and no page of the mapping touched, see
    /// ``ZipDirectory``), through libzip otherwise. Either way no read goes past the member's
    /// declared size.
    private func headerReader(_ entry: ZipEntry) throws(CheckpointError) -> (Int) throws(CheckpointError) -> [UInt8] {
        guard let mapped, let member = mapped.members[entry.index] else {
            let stream = try archive.stream(entry)
            return { (count) throws(CheckpointError) in try stream.read(count) }
        }
        try archive.checkReadable(entry)
        let path = path
        var position = 0
        return { (count) throws(CheckpointError) in
            guard count >= 0, count <= entry.size - position else {
                throw CheckpointError(.truncated, file: path, tensor: entry.name,
                    "needs \(position + count) bytes but the member declares \(entry.size)")
            }
            let start = member.dataOffset + position
            position += count
            return try mapped.file.read(count: count, at: start)
        }
    }

    /// The stored members libzip and a direct parse of the same file agree on (index, name,
    /// method and sizes), with their data inside the file: these are read in place.
    private static func storedMembers(of archive: ZipArchiveReader, path: String) -> (file: MappedFile, members: [Int: ZipDirectory.Member])? {
        guard let file = try? MappedFile(path: path), file.bytes.count == archive.fileSize,
              let directory = ZipDirectory(file.bytes, readingLocalHeadersFrom: file), directory.members.count == archive.entries.count else { return nil }
        var members: [Int: ZipDirectory.Member] = [:]
        for (entry, member) in zip(archive.entries, directory.members) {
            guard let member, member.name == entry.name, member.method == entry.method, !entry.isEncrypted,
                  member.size == entry.size, member.compressedSize == entry.compressedSize,
                  member.isStoredInside(fileSize: file.bytes.count) else { continue }
            members[entry.index] = member
        }
        return members.isEmpty ? nil : (file, members)
    }

    func read(_ name: String) throws(CheckpointError) -> Tensor {
        guard let (entry, header) = members[name] else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "no such tensor in the archive")
        }
        if let mapped, let member = mapped.members[entry.index] {
            return try readInPlace(member, entry: entry, header: header, file: mapped.file, name: name)
        }
        do {
            if header.byteCount < Self.streamedDeflatedBytes {
                let stream = try archive.stream(entry)
                try stream.skip(header.dataOffset)
                let data = try TensorBytes(count: header.byteCount) { (buffer) throws(CheckpointError) in
                    try stream.readExactly(into: buffer)
                }
                try stream.finish()
                return try header.tensor(from: data)
            }
            try archive.checkReadable(entry)
            // A large member is inflated a slice at a time as its reader asks for it. libzip
            // checks the size and the CRC when the last slice has been read, so the first read
            // makes one pass to check them before the tensor is handed out: a corrupt member
            // fails here, not in the middle of whatever consumes it.
            let data = archive.streamedMember(entry, from: header.dataOffset, count: header.byteCount, file: path, tensor: name)
            if !verified.contains(entry.index) {
                try data.forEachSlice { _ in }
                verified.insert(entry.index)
            }
            return try header.tensor(from: data)
        } catch {
            // Name the tensor as numpy does (without `.npy`), whichever layer failed.
            throw error.about(file: path, tensor: name)
        }
    }

    /// A stored member's tensor borrowed from the mapping, once the CRC of the member's bytes
    /// (header and data) matches the one the central directory records.
    private func readInPlace(_ member: ZipDirectory.Member, entry: ZipEntry, header: NPYHeader, file: MappedFile,
                             name: String) throws(CheckpointError) -> Tensor {
        let start = member.dataOffset
        do throws(CheckpointError) {
            try archive.checkReadable(entry)
            let dataCRC: UInt32
            if let known = dataCRCs[entry.index] {
                dataCRC = known
            } else {
                let crc = try CRC32.checksum(file.borrow(start..<(start + member.size)))
                guard crc == member.crc32 else {
                    throw CheckpointError(.malformed, file: path, tensor: name,
                        "corrupt member: CRC error (the data's CRC-32 is \(hex(crc)), the archive records \(hex(member.crc32)))",
                        fix: "The archive is corrupt; re-download or re-save it")
                }
                let headerCRC = try CRC32.checksum(file.borrow(start..<(start + header.dataOffset)))
                dataCRC = CRC32.suffix(ofWhole: crc, prefix: headerCRC, suffixCount: member.size - header.dataOffset)
                dataCRCs[entry.index] = dataCRC
            }
            let data = try file.borrow((start + header.dataOffset)..<(start + member.size))
            return try header.tensor(from: data.knowingCRC32(dataCRC))
        } catch {
            throw error.about(file: path, tensor: name)
        }
    }
}

private func hex(_ value: UInt32) -> String {
    "0x" + String(value, radix: 16).leftPadded(to: 8)
}
