#if canImport(Glibc)
import Glibc
#endif

/// A new file written with `pwrite(2)` and `copy_file_range(2)` at its own write position:
/// sequentially, or (for an HDF5 file whose data places libhdf5 has allocated) wherever
/// ``seek(to:)`` puts it.
///
/// Every writer's output is flushed (`fsync`) before it is renamed into place
/// (``AtomicOutput``). So that the flush does not wait for the whole file at the end, writeback
/// of what has been written is started every 64 MB: the disk writes while the next tensors are
/// prepared. This only starts writeback, it never waits for it.
final class OutputFile {
    let path: String
    private var descriptor: Int32
    /// Where the next write goes: the bytes written so far, for a file written sequentially.
    private(set) var position = 0
    /// The bytes written since writeback was last started, and the part of the file they lie in.
    private var unflushed: Range<Int>?
    private var unflushedCount = 0
    private static let writebackInterval = 64 << 20

    /// Creates `path`, which must not exist.
    ///
    /// - Parameter copiesInKernel: false to write every byte from memory (tests use it to
    ///   check that path against the kernel copy).
    init(path: String, copiesInKernel: Bool = true) throws(CheckpointError) {
        self.path = path
        self.copiesInKernel = copiesInKernel
        descriptor = try SystemCall.run(file: path, "cannot create") { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
    }

    /// Opens `path`, a file this process has just created through another handle (libhdf5's),
    /// to write into places inside it.
    init(reopening path: String) throws(CheckpointError) {
        self.path = path
        self.copiesInKernel = true
        descriptor = try SystemCall.run(file: path, "cannot open") { open(path, O_WRONLY | O_CLOEXEC) }
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Moves the write position to `offset`.
    func seek(to offset: Int) {
        precondition(offset >= 0, "a file offset is never negative")
        position = offset
    }

    func write(_ bytes: [UInt8]) throws(CheckpointError) {
        var failure: CheckpointError?
        bytes.withUnsafeBytes { buffer in
            do throws(CheckpointError) { try write(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(CheckpointError) {
        do throws(SystemError) {
            try SystemCall.writeAll(descriptor, bytes, at: position)
        } catch {
            throw error.checkpointError("cannot write", file: path)
        }
        advance(by: bytes.count)
    }

    /// Counts `count` bytes as written at the write position, and starts writeback every
    /// ``writebackInterval``.
    private func advance(by count: Int) {
        let written = position..<(position + count)
        position += count
        if let range = unflushed {
            unflushed = min(range.lowerBound, written.lowerBound)..<max(range.upperBound, written.upperBound)
        } else {
            unflushed = written
        }
        unflushedCount += count
        if unflushedCount >= Self.writebackInterval, let range = unflushed {
            startWriteback(range)
            unflushed = nil
            unflushedCount = 0
        }
    }

    /// Writes `bytes` a slice at a time (see ``TensorBytes/forEachSlice(_:)``), calling
    /// `observe` with each slice before it is written (for a checksum), so a tensor is never
    /// whole in memory on its way to the file. Returns the number of bytes written.
    ///
    /// Bytes borrowed from a mapped input file (a tensor copied as it is, the bulk of every
    /// convert and inflate) are copied by the kernel, file to file, as `cp` does: writing them
    /// from the mapping cost a third more system time (ViT-L, median of 8 runs).
    @discardableResult
    func write(_ bytes: TensorBytes, observe: (UnsafeRawBufferPointer) -> Void = { _ in }) throws(CheckpointError) -> Int {
        if copiesInKernel, case .stored(let storage) = bytes.representation, let (file, offset) = storage.fileRange {
            try copyInKernel(storage, from: file, at: offset, observe: observe)
            return bytes.count
        }
        try bytes.forEachSlice { (slice) throws(CheckpointError) in
            observe(slice)
            try write(slice)
        }
        return bytes.count
    }

    /// Whether ``copyInKernel(_:from:at:observe:)`` is still worth trying: false once the
    /// kernel has declined to copy into this file (another file system, an old kernel).
    private var copiesInKernel: Bool

    /// Copies `storage`, bytes `offset…` of `file`, to the write position with
    /// `copy_file_range`, a slice at a time; `observe` still sees each slice (through the
    /// mapping) before it is copied, and the rest is written from the mapping if the kernel
    /// declines.
    private func copyInKernel(_ storage: ByteStorage, from file: MappedFile, at offset: Int,
                              observe: (UnsafeRawBufferPointer) -> Void) throws(CheckpointError) {
        var done = 0
        while done < storage.count {
            let count = min(TensorBytes.sliceBytes, storage.count - done)
            let slice = UnsafeRawBufferPointer(start: storage.base + done, count: count)
            observe(slice)
            var copied = 0
            if copiesInKernel {
                do throws(SystemError) {
                    copied = try file.copy(count: count, at: offset + done, to: descriptor, at: position)
                } catch {
                    throw error.checkpointError("cannot write", file: path)
                }
                advance(by: copied)
                if copied < count { copiesInKernel = false }
            }
            if copied < count { try write(UnsafeRawBufferPointer(rebasing: slice[copied...])) }
            // The pages `observe` read are not needed again (as TensorBytesReader releases them).
            if storage.count >= TensorBytesReader.releaseThreshold { storage.releasePages(done..<(done + count)) }
            done += count
        }
    }

    /// Overwrites bytes already written at `offset` (a header field known only after the
    /// data, such as a zip member's CRC), without moving the write position; only for a file
    /// written sequentially.
    func overwrite(_ bytes: [UInt8], at offset: Int) throws(CheckpointError) {
        guard offset >= 0, offset + bytes.count <= position else {
            throw CheckpointError(.io, file: path, "internal error: overwrite of bytes \(offset)..<\(offset + bytes.count) past the \(position) written")
        }
        var failure: SystemError?
        bytes.withUnsafeBytes { buffer in
            do throws(SystemError) { try SystemCall.writeAll(descriptor, buffer, at: offset) } catch { failure = error }
        }
        if let failure { throw failure.checkpointError("cannot write", file: path) }
    }

    /// Starts writing `range` of the file back to disk without waiting for it, so the final
    /// `fsync` has less left to do. On Linux, `POSIX_FADV_DONTNEED` starts writeback of dirty
    /// pages (and drops only pages already clean, which these are not yet).
    private func startWriteback(_ range: Range<Int>) {
        #if os(Linux)
        try? SystemCall.runReturningError { posix_fadvise(descriptor, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_DONTNEED) }
        #endif
    }

    /// Closes the file. Not retried on `EINTR`: on Linux the descriptor is gone either way.
    func close() throws(CheckpointError) {
        let result = Glibc.close(descriptor)
        let code = errno
        descriptor = -1
        guard result == 0 else {
            throw SystemError(code: code).checkpointError("cannot finish writing", file: path)
        }
    }
}
