internal import CLibzip

/// The CRC-32 zip archives record for each member (the IEEE 802.3 polynomial, bit-reflected,
/// as zlib's `crc32`).
///
/// Tubelet checks every zip member it reads against its CRC and writes one for every member
/// it stores, so the checksum runs over every byte of a checkpoint. zlib's table-driven CRC
/// (0.5-3 GB/s) was the largest single cost of reading and writing npz files; this one folds
/// with carry-less multiplication where the CPU has it (~14 GB/s, faster than the page cache
/// delivers the bytes) and falls back to zlib elsewhere. The code is in `CLibzip/shim.h`.
enum CRC32 {
    private static let simd: Int32 = clibzip_crc32_has_simd()

    /// The CRC of `bytes` continuing from `crc`, the CRC of the bytes before them (0 to start).
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return clibzip_crc32(crc, base.assumingMemoryBound(to: UInt8.self), bytes.count, simd)
    }

    /// The CRC of `bytes` on their own.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0, bytes)
    }

    /// The CRC of `bytes` on their own.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
