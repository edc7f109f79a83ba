#if canImport(Glibc)
import Glibc
#endif

/// Writes a one-tensor checkpoint as a `.npy` file, byte for byte what `np.save` writes.
public struct NPYWriter: CheckpointWriter {
    public var format: CheckpointFormat { .npy }

    public init() {}

    public func write(_ source: any TensorSource, to path: String, options: WriteOptions) throws(CheckpointError) {
        guard source.tensors.count == 1, let info = source.tensors.first else {
            throw CheckpointError(.invalidRequest, file: path,
                "a .npy file holds exactly one array, but the source has \(source.tensors.count) tensors",
                fix: "Write an .npz instead")
        }
        if !source.metadata.isEmpty {
            throw CheckpointError(.invalidRequest, file: path,
                "a .npy file has no place for the source's \(source.metadata.count) metadata entries",
                fix: "Write an .npz instead, which keeps them")
        }
        let tensor = try source.read(info.name)
        let output = try OutputFile(path: path)
        try output.write(NPYHeader.render(dtype: tensor.dtype, shape: tensor.shape))
        try tensor.bytes.withUnsafeBytes { (bytes) throws(CheckpointError) in try output.write(bytes) }
        try output.close()
    }
}

/// A new file written sequentially with plain `write(2)` calls.
///
/// Every writer's output is flushed (`fsync`) before it is renamed into place
/// (``AtomicOutput``). So that the flush does not wait for the whole file at the end, writeback
/// of what has been written is started every 64 MB: the disk writes while the next tensors are
/// prepared. This only starts writeback, it never waits for it.
final class OutputFile {
    let path: String
    private var descriptor: Int32
    /// Bytes written so far, and the end of what has been handed to the kernel to write back.
    private var position = 0
    private var writebackStart = 0
    private static let writebackInterval = 64 << 20

    init(path: String) throws(CheckpointError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CheckpointError(.io, file: path, "cannot create: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    func write(_ bytes: [UInt8]) throws(CheckpointError) {
        var failure: CheckpointError?
        bytes.withUnsafeBytes { buffer in
            do throws(CheckpointError) { try write(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(CheckpointError) {
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw CheckpointError(.io, file: path, "cannot write: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        position += bytes.count
        if position - writebackStart >= Self.writebackInterval {
            startWriteback(writebackStart..<position)
            writebackStart = position
        }
    }

    /// Starts writing `range` of the file back to disk without waiting for it, so the final
    /// `fsync` has less left to do. On Linux, `POSIX_FADV_DONTNEED` starts writeback of dirty
    /// pages (and drops only pages already clean, which these are not yet).
    private func startWriteback(_ range: Range<Int>) {
        #if os(Linux)
        _ = posix_fadvise(descriptor, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_DONTNEED)
        #endif
    }

    func close() throws(CheckpointError) {
        let result = Glibc.close(descriptor)
        descriptor = -1
        guard result == 0 else {
            throw CheckpointError(.io, file: path, "cannot finish writing: \(String(cString: strerror(errno)))")
        }
    }
}
