/// Where each member of a zip archive keeps its bytes, read from the archive's central
/// directory and local headers directly, so that stored members can be borrowed from a
/// memory-mapped file instead of being copied out through libzip.
///
/// libzip stays the authority on whether an archive is valid: this parse is used only for
/// members it agrees on (same count, names and sizes as libzip's listing), and any field it
/// cannot read or that points outside the file makes it give up on that member (or the whole
/// archive), never crash: the reader then falls back to libzip, whose errors users see.
/// Every offset is checked against the buffer before it is read.
struct ZipDirectory {
    /// One member as the central directory and its local header place it.
    struct Member: Equatable {
        let name: String
        /// 0 stored, 8 deflated, …
        let method: Int
        /// General-purpose flags; bit 0 means encrypted.
        let flags: Int
        let crc32: UInt32
        let compressedSize: Int
        let size: Int
        /// Where the member's (compressed) data starts in the file, after its local header.
        let dataOffset: Int

        /// Stored, unencrypted, and with all its bytes inside the file: its data can be used
        /// in place.
        func isStoredInside(fileSize: Int) -> Bool {
            guard method == 0, flags & 1 == 0, compressedSize == size else { return false }
            let (end, overflow) = dataOffset.addingReportingOverflow(size)
            return !overflow && end <= fileSize
        }
    }

    /// The members in central-directory order (libzip's index order); nil entries are
    /// members whose location could not be established.
    let members: [Member?]

    /// Parses `bytes`, a whole archive, or returns nil when its end records cannot be read.
    /// - Parameter file: when `bytes` are this mapped file, each member's local header is
    ///   read from it with `pread` rather than through the mapping. The headers are spread
    ///   through the whole file, and a fault maps the whole page-cache folio it lands in (up
    ///   to 2 MB): touching ViT-G/14's 780 local headers mapped ~600 MB when the file had
    ///   been read in large folios, and faulting then dropping them was a sixth of listing an
    ///   npz. Only the central directory, at the end of the file, is read in place.
    init?(_ bytes: UnsafeRawBufferPointer, readingLocalHeadersFrom file: MappedFile? = nil) {
        let reader = Bytes(bytes)
        guard let end = Self.endRecord(reader) else { return nil }
        var members: [Member?] = []
        members.reserveCapacity(min(end.count, 1 << 16))
        var offset = end.directoryOffset
        for _ in 0..<end.count {
            guard let (member, next) = Self.entry(reader, at: offset, file: file) else { return nil }
            members.append(member)
            offset = next
        }
        self.members = members
    }

    /// The members' names in central-directory order, from the end records and the central
    /// directory alone (no local header is read): what telling a PyTorch archive from an npz
    /// needs, without opening it twice through libzip. Nil when the directory cannot be read
    /// or lists more than `limit` members; the caller then asks libzip, whose errors users see.
    static func memberNames(_ bytes: UnsafeRawBufferPointer, limit: Int) -> [String]? {
        let reader = Bytes(bytes)
        guard let end = endRecord(reader), end.count <= limit else { return nil }
        var names: [String] = []
        names.reserveCapacity(end.count)
        var offset = end.directoryOffset
        for _ in 0..<end.count {
            guard reader.u32(offset) == 0x0201_4b50, let nameLength = reader.u16(offset + 28),
                  let extraLength = reader.u16(offset + 30), let commentLength = reader.u16(offset + 32),
                  let name = reader.slice(offset + 46, nameLength) else { return nil }
            names.append(String(decoding: name.buffer, as: UTF8.self))
            offset += 46 + nameLength + extraLength + commentLength
        }
        return names
    }

    private struct EndRecord {
        let count: Int
        let directoryOffset: Int
    }

    /// The end-of-central-directory record (searched for backwards over the comment, as
    /// every reader does) and, when its fields are saturated, the zip64 record it points to.
    private static func endRecord(_ bytes: Bytes) -> EndRecord? {
        let size = bytes.count
        guard size >= 22 else { return nil }
        var position = size - 22
        let lowest = max(0, size - 22 - 65_535)
        while position >= lowest {
            if bytes.u32(position) == 0x0605_4b50, let commentLength = bytes.u16(position + 20),
               position + 22 + commentLength == size {
                break
            }
            position -= 1
        }
        guard position >= lowest, let disk = bytes.u16(position + 4), let directoryDisk = bytes.u16(position + 6),
              disk == 0, directoryDisk == 0,
              let count16 = bytes.u16(position + 10), let offset32 = bytes.u32(position + 16) else { return nil }
        if count16 != 0xffff && offset32 != 0xffff_ffff {
            return EndRecord(count: count16, directoryOffset: Int(offset32))
        }
        // zip64: the locator sits just before the end record and gives the zip64 record's offset.
        guard position >= 20, bytes.u32(position - 20) == 0x0706_4b50,
              let recordOffset = bytes.u64(position - 12).flatMap(Int.init(exactly:)),
              bytes.u32(recordOffset) == 0x0606_4b50,
              let count = bytes.u64(recordOffset + 32).flatMap(Int.init(exactly:)),
              let directoryOffset = bytes.u64(recordOffset + 48).flatMap(Int.init(exactly:)),
              count <= Limits.defaultMaxTensorCount else { return nil }
        return EndRecord(count: count, directoryOffset: directoryOffset)
    }

    /// The central-directory entry at `offset` (its member, or nil when its local header is
    /// unreadable) and where the next entry starts; nil when the entry itself is unreadable.
    private static func entry(_ bytes: Bytes, at offset: Int, file: MappedFile?) -> (Member?, Int)? {
        guard bytes.u32(offset) == 0x0201_4b50,
              let flags = bytes.u16(offset + 8), let method = bytes.u16(offset + 10),
              let crc = bytes.u32(offset + 16),
              let compressed32 = bytes.u32(offset + 20), let size32 = bytes.u32(offset + 24),
              let nameLength = bytes.u16(offset + 28), let extraLength = bytes.u16(offset + 30),
              let commentLength = bytes.u16(offset + 32), let localOffset32 = bytes.u32(offset + 42),
              let nameBytes = bytes.slice(offset + 46, nameLength),
              let extra = bytes.slice(offset + 46 + nameLength, extraLength) else { return nil }
        let next = offset + 46 + nameLength + extraLength + commentLength
        // Saturated 32-bit fields are in the zip64 extra field (id 1), in this order.
        var size = Int(size32), compressed = Int(compressed32), localOffset = Int(localOffset32)
        if size32 == 0xffff_ffff || compressed32 == 0xffff_ffff || localOffset32 == 0xffff_ffff {
            guard let zip64 = Self.extraField(1, in: extra) else { return (nil, next) }
            var cursor = 0
            func take() -> Int? {
                defer { cursor += 8 }
                return zip64.u64(cursor).flatMap(Int.init(exactly:))
            }
            if size32 == 0xffff_ffff { guard let value = take() else { return (nil, next) }; size = value }
            if compressed32 == 0xffff_ffff { guard let value = take() else { return (nil, next) }; compressed = value }
            if localOffset32 == 0xffff_ffff { guard let value = take() else { return (nil, next) }; localOffset = value }
        }
        guard let (localNameLength, localExtraLength) = localHeaderLengths(at: localOffset, in: bytes, file: file) else {
            return (nil, next)
        }
        let name = String(decoding: nameBytes.buffer, as: UTF8.self)
        let member = Member(name: name, method: method, flags: flags, crc32: crc, compressedSize: compressed, size: size,
                            dataOffset: localOffset + 30 + localNameLength + localExtraLength)
        return (member, next)
    }

    /// The name and extra-field lengths of the local header at `offset`, from `file` when
    /// given, else from `bytes`; nil when there is no local header there.
    private static func localHeaderLengths(at offset: Int, in bytes: Bytes, file: MappedFile?) -> (name: Int, extra: Int)? {
        let length = 30
        guard let file else {
            guard bytes.u32(offset) == 0x0403_4b50, let name = bytes.u16(offset + 26), let extra = bytes.u16(offset + 28) else { return nil }
            return (name, extra)
        }
        guard offset >= 0, offset <= bytes.count - length else { return nil }
        guard let header = try? file.read(count: length, at: offset) else { return nil }
        return header.withUnsafeBytes { buffer in
            let local = Bytes(buffer)
            guard local.u32(0) == 0x0403_4b50, let name = local.u16(26), let extra = local.u16(28) else { return nil }
            return (name, extra)
        }
    }

    /// The payload of the extra field `id` in an extra-field block, if there is one.
    private static func extraField(_ id: Int, in extra: Bytes) -> Bytes? {
        var cursor = 0
        while let fieldID = extra.u16(cursor), let length = extra.u16(cursor + 2) {
            if fieldID == id { return extra.slice(cursor + 4, length) }
            cursor += 4 + length
        }
        return nil
    }

    /// Little-endian reads that return nil instead of reading outside the buffer.
    private struct Bytes {
        let buffer: UnsafeRawBufferPointer
        init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }
        var count: Int { buffer.count }

        private func contains(_ offset: Int, _ length: Int) -> Bool {
            offset >= 0 && length >= 0 && offset <= buffer.count && length <= buffer.count - offset
        }

        func u16(_ offset: Int) -> Int? {
            guard contains(offset, 2) else { return nil }
            return Int(UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        }

        func u32(_ offset: Int) -> UInt32? {
            guard contains(offset, 4) else { return nil }
            return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }

        func u64(_ offset: Int) -> UInt64? {
            guard contains(offset, 8) else { return nil }
            return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }

        func slice(_ offset: Int, _ length: Int) -> Bytes? {
            guard contains(offset, length) else { return nil }
            return Bytes(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + length)]))
        }
    }
}
