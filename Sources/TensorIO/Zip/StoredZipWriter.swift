#if canImport(Glibc)
import Glibc
#endif

/// A zip archive of stored (uncompressed) members, written straight to the file.
///
/// libzip copies every member through an 8 KB buffer and its own CRC pass, and writes it
/// with small buffered writes; for a gigabyte checkpoint that was most of the time `convert`
/// and `inflate` took. A stored member needs none of it: its bytes go to the file a slice at
/// a time (``TensorBytes/forEachSlice(_:)``), each slice added to the CRC just before it is
/// written, and the CRC is then written into the local header, whose other fields are known
/// up front. One pass over each tensor, and never more than a slice of it in memory.
/// Deflated members still go through ``ZipArchiveWriter``. npz and PyTorch archives are
/// written here.
///
/// The records are the ones libzip writes (version 1.0, Unix attributes 0666, the fixed
/// 1980-01-01 timestamp), with zip64 fields for members, offsets and directories past 4 GiB
/// or 65 535 members, as Python's `zipfile` and numpy read them.
final class StoredZipWriter {
    let path: String
    private let output: OutputFile
    private var offset = 0
    private var directory: [UInt8] = []
    private var count = 0
    /// Writes zip64 records even where 32-bit fields would do, so tests can check them
    /// without writing 4 GiB.
    private let alwaysZip64: Bool

    init(path: String, alwaysZip64: Bool = false) throws(CheckpointError) {
        self.path = path
        self.alwaysZip64 = alwaysZip64
        output = try OutputFile(path: path)
    }

    /// Appends a member `name` whose content is `parts` back to back.
    ///
    /// With `alignment` above 1 the data starts at a multiple of it in the file, as torch's
    /// writer aligns storages to 64 bytes for `mmap`: the local header gets an extra field
    /// with torch's id `0x4246` ("FB") whose payload is the padding (local header only, as
    /// torch and libzip write it).
    func addMember(name: String, parts: [TensorBytes], alignment: Int = 1) throws(CheckpointError) {
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 0xffff else {
            throw CheckpointError(.invalidRequest, file: path, tensor: name, "the name is longer than a zip member name can be (65535 bytes)")
        }
        let size = parts.reduce(0) { $0 + $1.count }
        let bigMember = alwaysZip64 || size >= 0xffff_ffff
        let bigOffset = alwaysZip64 || offset >= 0xffff_ffff
        let flags = nameBytes.contains { $0 >= 0x80 } ? 0x0800 : 0  // bit 11: the name is UTF-8
        let version = bigMember || bigOffset ? 45 : 10

        var local: [UInt8] = []
        local.reserveCapacity(30 + nameBytes.count + 20)
        local.appendLittleEndian(0x0403_4b50, bytes: 4)
        local.appendLittleEndian(version, bytes: 2)
        local.appendLittleEndian(flags, bytes: 2)
        local.appendLittleEndian(0, bytes: 2)  // stored
        local.appendLittleEndian(Self.dosTime, bytes: 2)
        local.appendLittleEndian(Self.dosDate, bytes: 2)
        let crcOffset = output.position + local.count
        local.appendLittleEndian(0, bytes: 4)  // the CRC, written once the data has gone by
        local.appendLittleEndian(bigMember ? 0xffff_ffff : size, bytes: 4)
        local.appendLittleEndian(bigMember ? 0xffff_ffff : size, bytes: 4)
        var localExtra: [UInt8] = []
        if bigMember {
            localExtra.appendLittleEndian(1, bytes: 2)
            localExtra.appendLittleEndian(16, bytes: 2)
            localExtra.appendLittleEndian(size, bytes: 8)
            localExtra.appendLittleEndian(size, bytes: 8)
        }
        if alignment > 1 {
            let unpadded = offset + 30 + nameBytes.count + localExtra.count + 4
            let padding = (alignment - unpadded % alignment) % alignment
            localExtra.appendLittleEndian(0x4246, bytes: 2)
            localExtra.appendLittleEndian(padding, bytes: 2)
            localExtra += [UInt8](repeating: UInt8(ascii: "Z"), count: padding)
        }
        local.appendLittleEndian(nameBytes.count, bytes: 2)
        local.appendLittleEndian(localExtra.count, bytes: 2)
        local += nameBytes
        local += localExtra
        try output.write(local)
        var crc: UInt32 = 0
        for part in parts {
            if let known = part.knownCRC32 {
                // A checked input member's data: its CRC is known, no pass over it needed.
                try output.write(part)
                crc = CRC32.combine(crc, known, secondCount: part.count)
            } else {
                try output.write(part) { crc = CRC32.update(crc, $0) }
            }
        }
        try output.overwrite((0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }, at: crcOffset)

        var extra: [UInt8] = []
        if bigMember || bigOffset {
            let fields = (bigMember ? [size, size] : []) + (bigOffset ? [offset] : [])
            extra.appendLittleEndian(1, bytes: 2)
            extra.appendLittleEndian(fields.count * 8, bytes: 2)
            for field in fields { extra.appendLittleEndian(field, bytes: 8) }
        }
        directory.appendLittleEndian(0x0201_4b50, bytes: 4)
        directory.appendLittleEndian(0x033f, bytes: 2)  // made by: Unix, zip 6.3 (as libzip)
        directory.appendLittleEndian(version, bytes: 2)
        directory.appendLittleEndian(flags, bytes: 2)
        directory.appendLittleEndian(0, bytes: 2)
        directory.appendLittleEndian(Self.dosTime, bytes: 2)
        directory.appendLittleEndian(Self.dosDate, bytes: 2)
        directory.appendLittleEndian(Int(crc), bytes: 4)
        directory.appendLittleEndian(bigMember ? 0xffff_ffff : size, bytes: 4)
        directory.appendLittleEndian(bigMember ? 0xffff_ffff : size, bytes: 4)
        directory.appendLittleEndian(nameBytes.count, bytes: 2)
        directory.appendLittleEndian(extra.count, bytes: 2)
        directory.appendLittleEndian(0, bytes: 2)  // comment
        directory.appendLittleEndian(0, bytes: 2)  // disk
        directory.appendLittleEndian(0, bytes: 2)  // internal attributes
        directory.appendLittleEndian(0o100666 << 16, bytes: 4)
        directory.appendLittleEndian(bigOffset ? 0xffff_ffff : offset, bytes: 4)
        directory += nameBytes
        directory += extra

        offset += local.count + size
        count += 1
    }

    /// Writes the central directory and the end records, with `comment` as the archive
    /// comment, and closes the file.
    func close(comment: [UInt8]) throws(CheckpointError) {
        guard comment.count <= 0xffff else {
            throw CheckpointError(.invalidRequest, file: path, "the archive comment takes \(comment.count) bytes; a zip comment holds at most 65535")
        }
        let directoryOffset = offset
        let directorySize = directory.count
        var end = directory
        directory = []
        let big = alwaysZip64 || count >= 0xffff || directoryOffset >= 0xffff_ffff || directorySize >= 0xffff_ffff
        if big {
            let recordOffset = directoryOffset + directorySize
            end.appendLittleEndian(0x0606_4b50, bytes: 4)
            end.appendLittleEndian(44, bytes: 8)  // the size of the rest of this record
            end.appendLittleEndian(0x032d, bytes: 2)  // made by: Unix, zip 4.5
            end.appendLittleEndian(45, bytes: 2)
            end.appendLittleEndian(0, bytes: 4)
            end.appendLittleEndian(0, bytes: 4)
            end.appendLittleEndian(count, bytes: 8)
            end.appendLittleEndian(count, bytes: 8)
            end.appendLittleEndian(directorySize, bytes: 8)
            end.appendLittleEndian(directoryOffset, bytes: 8)
            end.appendLittleEndian(0x0706_4b50, bytes: 4)
            end.appendLittleEndian(0, bytes: 4)
            end.appendLittleEndian(recordOffset, bytes: 8)
            end.appendLittleEndian(1, bytes: 4)
        }
        end.appendLittleEndian(0x0605_4b50, bytes: 4)
        end.appendLittleEndian(0, bytes: 2)
        end.appendLittleEndian(0, bytes: 2)
        end.appendLittleEndian(min(count, 0xffff), bytes: 2)
        end.appendLittleEndian(min(count, 0xffff), bytes: 2)
        end.appendLittleEndian(big ? 0xffff_ffff : directorySize, bytes: 4)
        end.appendLittleEndian(big ? 0xffff_ffff : directoryOffset, bytes: 4)
        end.appendLittleEndian(comment.count, bytes: 2)
        end += comment
        try output.write(end)
        try output.close()
    }

    /// 00:00:00 and 1980-01-01 in MS-DOS form, what numpy and libzip write here.
    private static let dosTime = 0
    private static let dosDate = (0 << 9) | (1 << 5) | 1
}

extension [UInt8] {
    /// Appends the low `bytes` bytes of `value`, least significant first.
    fileprivate mutating func appendLittleEndian(_ value: Int, bytes: Int) {
        for index in 0..<bytes { append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }
}
