internal import CPlatform

/// The CRC-32 zip archives record for each member (the IEEE 802.3 polynomial, bit-reflected,
/// as zlib's `crc32`).
///
/// Tubelet checks every zip member it reads against its CRC and writes one for every member
/// it stores, so the checksum runs over every byte of a checkpoint. zlib's table-driven CRC
/// (0.5-3 GB/s) was the largest single cost of reading and writing npz files; this one folds
/// with carry-less multiplication where the CPU has it (~14 GB/s, faster than the page cache
/// delivers the bytes) and falls back to zlib elsewhere. The code is in `CPlatform/crc32.c`.
enum CRC32 {
    private static let simd: Int32 = cplatform_crc32_has_simd()

    /// The CRC of `bytes` continuing from `crc`, the CRC of the bytes before them (0 to start).
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return cplatform_crc32(crc, base.assumingMemoryBound(to: UInt8.self), bytes.count, simd)
    }

    /// The CRC of `bytes` on their own.
    ///
    /// Large buffers (a tensor checked before it is used) are split in two halves checked on
    /// both cores and joined with zlib's `crc32_combine`: the first pass over a mapped tensor
    /// is also where its pages are faulted in, and that part is slower than the CRC itself.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard bytes.count >= parallelThreshold else { return update(0, bytes) }
        let half = bytes.count / 2
        let halves = [0..<half, half..<bytes.count]
        let crcs = Parallel.map(parts: halves.count) { part in
            update(0, UnsafeRawBufferPointer(rebasing: bytes[halves[part]]))
        }
        return combine(crcs[0], crcs[1], secondCount: halves[1].count)
    }

    /// The size from which ``checksum(_:)-(UnsafeRawBufferPointer)`` uses both cores: below it
    /// the CRC takes well under a millisecond, less than handing work to another thread is worth.
    static let parallelThreshold = 4 << 20

    /// The CRC of the bytes of `first` followed by `secondCount` bytes whose own CRC is `second`.
    static func combine(_ first: UInt32, _ second: UInt32, secondCount: Int) -> UInt32 {
        cplatform_crc32_combine(first, second, Int64(secondCount))
    }

    /// The CRC of the last `suffixCount` bytes of a sequence whose CRC is `whole`, from the CRC
    /// of the bytes before them, `prefix`. CRCs combine linearly: `whole` is `prefix` carried
    /// over `suffixCount` bytes, XOR the suffix's own CRC (zlib's `crc32_combine`).
    static func suffix(ofWhole whole: UInt32, prefix: UInt32, suffixCount: Int) -> UInt32 {
        whole ^ combine(prefix, 0, secondCount: suffixCount)
    }

    /// The CRC of `bytes` read a slice at a time (both cores per slice, as
    /// ``checksum(_:)-(UnsafeRawBufferPointer)``), so a large mapped member is checked
    /// without all of it resident at once.
    static func checksum(_ bytes: TensorBytes) throws(CheckpointError) -> UInt32 {
        var crc: UInt32 = 0
        try bytes.forEachSlice { slice in crc = combine(crc, checksum(slice), secondCount: slice.count) }
        return crc
    }

    /// The CRC of `bytes` on their own.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
