extension ZipArchiveReader {
    /// `count` bytes of member `entry` from `offset` on (its end), inflated or copied by
    /// libzip a slice at a time as the tensor's reader asks for them; libzip checks the size
    /// and CRC when the last slice has gone by, and an error names `tensor` in `file`.
    func streamedMember(_ entry: ZipEntry, from offset: Int = 0, count: Int, file: String, tensor: String) -> TensorBytes {
        let archive = UncheckedZipArchive(self)
        return TensorBytes(count: count) { () throws(CheckpointError) -> TensorBytes.Filler in
            let stream = try archive.reader.stream(entry)
            try stream.skip(offset)
            var remaining = count
            return { (buffer) throws(CheckpointError) in
                do throws(CheckpointError) {
                    try stream.readExactly(into: buffer)
                    remaining -= buffer.count
                    if remaining == 0 { try stream.finish() }
                } catch {
                    throw error.about(file: file, tensor: tensor)
                }
            }
        }
    }
}

/// The reader inside a tensor's filler, which runs on the thread that writes the output; the
/// reader is used by one filler at a time (tensors are written one after another).
private struct UncheckedZipArchive: @unchecked Sendable {
    let reader: ZipArchiveReader
    init(_ reader: ZipArchiveReader) { self.reader = reader }
}
