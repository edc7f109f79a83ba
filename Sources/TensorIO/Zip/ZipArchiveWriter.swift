#if canImport(Glibc)
import Glibc
#endif
internal import CLibzip

/// A zip archive being written through libzip, one member at a time.
///
/// libzip writes nothing until ``close()``; it then asks each member's source for its bytes
/// in order. Members here are *streamed*: each is described by its size and a closure that
/// produces its bytes when libzip opens it, and the bytes are released when libzip closes
/// it. So an archive of any size is written with the memory of one member.
final class ZipArchiveWriter {
    let path: String
    private var archive: OpaquePointer?
    private var producers: [ZipMemberProducer] = []
    private var comment: String?

    init(path: String) throws(CheckpointError) {
        self.path = path
        var code: Int32 = 0
        guard let archive = zip_open(path, ZIP_CREATE | ZIP_EXCL, &code) else {
            throw CheckpointError(.io, file: path, "cannot create the archive: \(ZipErrorText.forOpenCode(code))")
        }
        self.archive = archive
    }

    deinit {
        if let archive { zip_discard(archive) }
    }

    /// Adds a member of exactly `size` bytes whose content `produce` returns as chunks when
    /// libzip asks for it.
    func addMember(
        name: String,
        size: Int,
        compression: WriteOptions.Compression,
        produce: @escaping () throws(CheckpointError) -> [TensorBytes]
    ) throws(CheckpointError) {
        guard let archive else { return }
        let producer = ZipMemberProducer(archivePath: path, name: name, size: size, produce: produce)
        let userdata = Unmanaged.passRetained(producer).toOpaque()
        var error = zip_error_t()
        zip_error_init(&error)
        defer { zip_error_fini(&error) }
        guard let source = zip_source_function_create(zipMemberCallback, userdata, &error) else {
            Unmanaged<ZipMemberProducer>.fromOpaque(userdata).release()
            throw CheckpointError(.io, file: path, tensor: name, "cannot create a zip source: \(String(cString: zip_error_strerror(&error)))")
        }
        let index = zip_file_add(archive, name, source, zip_flags_t(ZIP_FL_ENC_UTF_8))
        guard index >= 0 else {
            zip_source_free(source)
            throw CheckpointError(.io, file: path, tensor: name, "cannot add the member: \(ZipErrorText.of(archive))")
        }
        producers.append(producer)
        let (method, level): (Int32, UInt32) = switch compression {
        case .stored: (ZIP_CM_STORE, 0)
        case .deflate(let level): (ZIP_CM_DEFLATE, UInt32(max(1, min(9, level))))
        }
        guard zip_set_file_compression(archive, UInt64(index), method, level) == 0,
              zip_file_set_mtime(archive, UInt64(index), Self.fixedTimestamp, 0) == 0 else {
            throw CheckpointError(.io, file: path, tensor: name, "cannot set the member's attributes: \(ZipErrorText.of(archive))")
        }
    }

    /// Sets the archive comment, which holds up to 65 535 bytes and is ignored by numpy.
    func setComment(_ text: String) {
        comment = text
    }

    /// Writes the archive. Producers run now, in member order; the first error one throws is
    /// the error reported.
    func close() throws(CheckpointError) {
        guard let archive else { return }
        if let comment {
            let bytes = Array(comment.utf8)
            guard zip_set_archive_comment(archive, bytes, UInt16(bytes.count)) == 0 else {
                throw CheckpointError(.io, file: path, "cannot set the archive comment: \(ZipErrorText.of(archive))")
            }
        }
        if producers.isEmpty {
            // libzip deletes an archive with no members instead of writing one; numpy writes
            // an empty archive, which is just an end-of-central-directory record.
            zip_discard(archive)
            self.archive = nil
            try writeEmptyArchive()
            return
        }
        if zip_close(archive) != 0 {
            let message = ZipErrorText.of(archive)
            zip_discard(archive)
            self.archive = nil
            if let failure = producers.lazy.compactMap(\.failure).first { throw failure }
            throw CheckpointError(.io, file: path, "cannot write the archive: \(message)")
        }
        self.archive = nil
    }

    private func writeEmptyArchive() throws(CheckpointError) {
        let commentBytes = Array((comment ?? "").utf8)
        var record: [UInt8] = [0x50, 0x4b, 0x05, 0x06] + [UInt8](repeating: 0, count: 16)
        record += [UInt8(commentBytes.count & 0xff), UInt8(commentBytes.count >> 8)] + commentBytes
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CheckpointError(.io, file: path, "cannot create the archive: \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(descriptor) }
        let written = record.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == record.count else {
            throw CheckpointError(.io, file: path, "cannot write the archive: \(String(cString: strerror(errno)))")
        }
    }

    /// 1980-01-01 00:00:00 local time, the earliest DOS timestamp and what numpy writes, so
    /// the same tensors always give the same bytes. libzip converts through local time.
    private static let fixedTimestamp: time_t = {
        var calendar = tm()
        calendar.tm_year = 80
        calendar.tm_mon = 0
        calendar.tm_mday = 1
        calendar.tm_isdst = -1
        return mktime(&calendar)
    }()
}

/// The state behind one streamed member: its bytes while libzip reads them, and the error
/// that stopped it, if any.
final class ZipMemberProducer {
    let archivePath: String
    let name: String
    let size: Int
    let produce: () throws(CheckpointError) -> [TensorBytes]
    var chunks: [TensorBytes] = []
    var chunkIndex = 0
    var delivered = 0
    var failure: CheckpointError?
    var error = zip_error_t()

    init(archivePath: String, name: String, size: Int, produce: @escaping () throws(CheckpointError) -> [TensorBytes]) {
        self.archivePath = archivePath
        self.name = name
        self.size = size
        self.produce = produce
        zip_error_init(&error)
    }

    deinit {
        zip_error_fini(&error)
    }

    func fail(_ failure: CheckpointError) -> Int64 {
        self.failure = failure
        zip_error_set(&error, ZIP_ER_READ, 0)
        return -1
    }

    /// Copies the next bytes into `destination`; each chunk is read in order a slice at a
    /// time (``TensorBytesReader``), so a member is never whole in memory on its way to libzip.
    func read(into destination: UnsafeMutableRawPointer, capacity: Int) throws(CheckpointError) -> Int64 {
        var copied = 0
        while copied < capacity, chunkIndex < chunks.count {
            let reader = currentReader ?? chunks[chunkIndex].reader()
            currentReader = reader
            let piece = try reader.next(upTo: capacity - copied)
            if let base = piece.baseAddress, !piece.isEmpty {
                (destination + copied).copyMemory(from: base, byteCount: piece.count)
                copied += piece.count
            }
            if reader.remaining == 0 {
                chunkIndex += 1
                currentReader = nil
            }
        }
        delivered += copied
        return Int64(copied)
    }

    /// The reader of the chunk being copied.
    private var currentReader: TensorBytesReader?

    func resetReader() { currentReader = nil }
}

/// The libzip source callback: a C function, so it reaches its producer through `userdata`.
private func zipMemberCallback(
    userdata: UnsafeMutableRawPointer?,
    data: UnsafeMutableRawPointer?,
    length: zip_uint64_t,
    command: zip_source_cmd_t
) -> zip_int64_t {
    guard let userdata else { return -1 }
    let producer = Unmanaged<ZipMemberProducer>.fromOpaque(userdata).takeUnretainedValue()
    switch command {
    case ZIP_SOURCE_OPEN:
        do throws(CheckpointError) {
            producer.chunks = try producer.produce()
        } catch {
            return producer.fail(error)
        }
        producer.chunkIndex = 0
        producer.resetReader()
        producer.delivered = 0
        let total = producer.chunks.reduce(0) { $0 + $1.count }
        guard total == producer.size else {
            return producer.fail(CheckpointError(.io, file: producer.archivePath, tensor: producer.name,
                "internal error: member produced \(total) bytes, expected \(producer.size)"))
        }
        return 0
    case ZIP_SOURCE_READ:
        guard let data else { return producer.fail(CheckpointError(.io, file: producer.archivePath, "libzip passed no buffer")) }
        do throws(CheckpointError) {
            return try producer.read(into: data, capacity: Int(min(length, UInt64(Int.max))))
        } catch {
            return producer.fail(error)
        }
    case ZIP_SOURCE_CLOSE:
        producer.chunks = []
        producer.resetReader()
        return 0
    case ZIP_SOURCE_STAT:
        guard let data, length >= UInt64(MemoryLayout<zip_stat_t>.size) else { return -1 }
        let stat = data.assumingMemoryBound(to: zip_stat_t.self)
        zip_stat_init(stat)
        stat.pointee.size = UInt64(producer.size)
        stat.pointee.valid |= UInt64(ZIP_STAT_SIZE)
        return Int64(MemoryLayout<zip_stat_t>.size)
    case ZIP_SOURCE_ERROR:
        guard let data else { return -1 }
        return zip_error_to_data(&producer.error, data, length)
    case ZIP_SOURCE_FREE:
        Unmanaged<ZipMemberProducer>.fromOpaque(userdata).release()
        return 0
    case ZIP_SOURCE_SUPPORTS:
        return clibzip_read_source_commands()
    default:
        zip_error_set(&producer.error, ZIP_ER_OPNOTSUPP, 0)
        return -1
    }
}
