/// One member of a zip archive, as its central directory describes it.
struct ZipEntry: Sendable {
    /// The member's index in the archive, which libzip addresses it by.
    let index: Int
    let name: String
    /// Uncompressed size as declared; never trusted without a check against the data.
    let size: Int
    let compressedSize: Int
    /// 0 stored, 8 deflated; anything else is refused when read.
    let method: Int
    let isEncrypted: Bool
}
