#if canImport(Glibc)
import Glibc
#endif
internal import CLibzip

/// A zip archive opened read-only through libzip.
///
/// Sizes come from the central directory (never from local headers, which torch's and
/// numpy's writers leave zeroed or saturated). Members are read with ``ZipMemberStream``,
/// which enforces the declared size and lets libzip check the CRC.
final class ZipArchiveReader {
    let path: String
    let entries: [ZipEntry]
    /// The archive comment, if any.
    let comment: String?
    /// The archive's size on disk, which bounds every member's compressed size.
    let fileSize: Int
    /// Member count, decompressed size and expansion ratio allowed.
    let limits: Limits
    private let archive: OpaquePointer

    init(path: String, limits: Limits = Limits()) throws(CheckpointError) {
        self.path = path
        self.limits = limits
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw CheckpointError(.cannotOpen, file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        fileSize = Int(status.st_size)
        var code: Int32 = 0
        guard let archive = zip_open(path, ZIP_RDONLY, &code) else {
            // An archive's directory is its last bytes: without it, the copy stopped short.
            throw CheckpointError(code == ZIP_ER_OPEN ? .cannotOpen : .malformed, file: path, ZipErrorText.forOpenCode(code),
                fix: code == ZIP_ER_NOZIP ? "If it is a download or copy, it is incomplete: compare its size with the original's and fetch it again" : nil)
        }
        self.archive = archive
        do throws(CheckpointError) {
            let count = zip_get_num_entries(archive, 0)
            guard count >= 0, count <= Int64(limits.maxTensorCount) else {
                throw CheckpointError(.limitExceeded, file: path, "the archive lists \(count) members, over the limit of \(limits.maxTensorCount)",
                    fix: "If the file is trusted, raise the limit with \(setting: .maxTensorCount)")
            }
            var entries: [ZipEntry] = []
            entries.reserveCapacity(min(Int(count), 1 << 16))
            for index in 0..<UInt64(count) {
                var stat = zip_stat_t()
                zip_stat_init(&stat)
                guard zip_stat_index(archive, index, 0, &stat) == 0, let name = stat.name else {
                    throw CheckpointError(.malformed, file: path, "cannot read member \(index) of the central directory: \(ZipErrorText.of(archive))")
                }
                let required = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD
                guard stat.valid & UInt64(required) == UInt64(required),
                      stat.size <= UInt64(Int.max), stat.comp_size <= UInt64(Int.max) else {
                    throw CheckpointError(.malformed, file: path, tensor: String(cString: name), "the central directory entry has no valid sizes")
                }
                entries.append(ZipEntry(
                    index: Int(index),
                    name: String(cString: name),
                    size: Int(stat.size),
                    compressedSize: Int(stat.comp_size),
                    method: Int(stat.comp_method),
                    isEncrypted: stat.valid & UInt64(ZIP_STAT_ENCRYPTION_METHOD) != 0 && stat.encryption_method != UInt16(ZIP_EM_NONE)
                ))
            }
            self.entries = entries
            var length: Int32 = 0
            if let text = zip_get_archive_comment(archive, &length, ZIP_FL_ENC_RAW), length > 0 {
                let bytes = UnsafeRawBufferPointer(start: text, count: Int(length))
                self.comment = String(decoding: bytes, as: UTF8.self)
            } else {
                self.comment = nil
            }
        } catch {
            zip_discard(archive)
            throw error
        }
    }

    deinit {
        zip_discard(archive)
    }

    /// Checks that `entry` can be read safely, before anything is allocated for it: a known,
    /// unencrypted method, and a declared size its compressed bytes can actually produce and
    /// that stays under the decompressed-size limit (a bomb can respect DEFLATE's ratio and
    /// still ask for more memory than the machine has).
    func checkReadable(_ entry: ZipEntry) throws(CheckpointError) {
        if entry.isEncrypted {
            throw CheckpointError(.unsupported, file: path, tensor: entry.name, "the member is encrypted",
                fix: "Decrypt the archive first")
        }
        guard entry.compressedSize <= fileSize else {
            throw CheckpointError(.truncated, file: path, tensor: entry.name,
                "the member claims \(entry.compressedSize) bytes of (compressed) data but the whole archive is \(fileSize) bytes",
                fix: "The archive is truncated or corrupt; re-save it")
        }
        switch entry.method {
        case Int(ZIP_CM_STORE):
            guard entry.compressedSize == entry.size else {
                throw CheckpointError(.malformed, file: path, tensor: entry.name,
                    "the member is stored uncompressed but declares \(entry.size) bytes of data in \(entry.compressedSize) bytes")
            }
        case Int(ZIP_CM_DEFLATE):
            let (bound, overflow) = entry.compressedSize.multipliedReportingOverflow(by: limits.maxExpansionRatio)
            guard overflow || entry.size <= bound else {
                throw CheckpointError(.limitExceeded, file: path, tensor: entry.name,
                    "the member claims \(entry.size) bytes from \(entry.compressedSize) compressed bytes, over the expansion limit of \(limits.maxExpansionRatio) : 1 (possible zip bomb)",
                    fix: "The archive is corrupt or hostile; if it is trusted, raise the limit with \(setting: .maxExpansionRatio)")
            }
            guard entry.size <= limits.maxDecompressedBytes else {
                throw CheckpointError(.limitExceeded, file: path, tensor: entry.name,
                    "the member decompresses to \(entry.size) bytes, over the limit of \(limits.maxDecompressedBytes) (possible zip bomb)",
                    fix: "If the file is trusted, raise the limit with \(setting: .maxDecompressedBytes)")
            }
        default:
            throw CheckpointError(.unsupported, file: path, tensor: entry.name,
                "the member uses zip compression method \(entry.method); Tubelet reads stored (0) and deflated (8) members",
                fix: "Re-save the archive with numpy.savez or savez_compressed")
        }
    }

    /// Opens `entry` for sequential reading.
    func stream(_ entry: ZipEntry) throws(CheckpointError) -> ZipMemberStream {
        try checkReadable(entry)
        guard let file = zip_fopen_index(archive, UInt64(entry.index), 0) else {
            throw CheckpointError(.malformed, file: path, tensor: entry.name, "cannot open the member: \(ZipErrorText.of(archive))")
        }
        return ZipMemberStream(file: file, entry: entry, path: path)
    }
}

/// Sequential reads of one archive member that never go past its declared size.
final class ZipMemberStream {
    private let file: OpaquePointer
    let entry: ZipEntry
    let path: String
    private(set) var position = 0

    fileprivate init(file: OpaquePointer, entry: ZipEntry, path: String) {
        self.file = file
        self.entry = entry
        self.path = path
    }

    deinit {
        zip_fclose(file)
    }

    var remaining: Int { entry.size - position }

    /// Fills `buffer` completely from the member, or throws: a member that ends early is
    /// truncated or lied about its size.
    func readExactly(into buffer: UnsafeMutableRawBufferPointer) throws(CheckpointError) {
        guard buffer.count <= remaining else {
            throw CheckpointError(.truncated, file: path, tensor: entry.name,
                "needs \(position + buffer.count) bytes but the member declares \(entry.size)")
        }
        var filled = 0
        while filled < buffer.count {
            guard let base = buffer.baseAddress else { return }
            let got = zip_fread(file, base + filled, UInt64(buffer.count - filled))
            if got < 0 {
                throw CheckpointError(.malformed, file: path, tensor: entry.name, "corrupt member: \(ZipErrorText.ofFile(file))")
            }
            if got == 0 {
                throw CheckpointError(.truncated, file: path, tensor: entry.name,
                    "the member ends after \(position + filled) bytes but declares \(entry.size)")
            }
            filled += Int(got)
        }
        position += filled
    }

    /// Reads `count` bytes into a new array (for headers).
    func read(_ count: Int) throws(CheckpointError) -> [UInt8] {
        // A negative count would trap in Array(repeating:count:); callers compute it from
        // sizes a file declares.
        guard count >= 0 else {
            throw CheckpointError(.malformed, file: path, tensor: entry.name, "a read of \(count) bytes was asked for (a corrupt size)")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: CheckpointError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(CheckpointError) { try readExactly(into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Reads and discards `count` bytes.
    func skip(_ count: Int) throws(CheckpointError) {
        _ = try read(count)
    }

    /// Confirms the member ends exactly at its declared size. This extra read is also when
    /// libzip verifies the CRC of what was read.
    func finish() throws(CheckpointError) {
        if position < entry.size { try skip(entry.size - position) }
        var probe: UInt8 = 0
        let got = zip_fread(file, &probe, 1)
        if got < 0 {
            throw CheckpointError(.malformed, file: path, tensor: entry.name, "corrupt member: \(ZipErrorText.ofFile(file))")
        }
        if got > 0 {
            throw CheckpointError(.limitExceeded, file: path, tensor: entry.name,
                "the member decompresses beyond its declared size of \(entry.size) bytes (possible zip bomb)")
        }
    }
}
