#if canImport(Glibc)
import Glibc
#endif
internal import CPlatform

/// A whole file mapped read-only into memory.
///
/// Formats that store raw tensor bytes (`.npy`, later safetensors) hand out tensors that
/// borrow ranges of the mapping instead of copying them, so reading a 10 GB file costs
/// page faults, not allocations. The file is opened read-only: an input is never written.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?
    /// The file, kept open for ``read(into:at:)``.
    private let descriptor: Int32

    init(path: String) throws(CheckpointError) {
        self.path = path
        let descriptor = try SystemCall.run(.cannotOpen, file: path, "cannot open") { open(path, O_RDONLY | O_CLOEXEC) }
        self.descriptor = descriptor
        var status = stat()
        do throws(CheckpointError) {
            try SystemCall.run(file: path, "cannot stat") { fstat(descriptor, &status) }
        } catch {
            close(descriptor)
            throw error
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw CheckpointError(.cannotOpen, file: path, "not a regular file")
        }
        let size = Int(status.st_size)
        if size == 0 {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            close(descriptor)
            throw CheckpointError(.io, file: path, "cannot map into memory: \(String(cString: strerror(errno)))")
        }
        mapping = address
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
        close(descriptor)
    }

    /// Copies `buffer.count` bytes of the file at `offset` into `buffer` with `pread`: the
    /// page cache's pages are copied, not mapped into this process, so scattered reads (a
    /// transpose's column strips) leave nothing resident behind them.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(CheckpointError) {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let count = try SystemCall.run(file: path, "cannot read") {
                pread(descriptor, base + done, buffer.count - done, off_t(offset + done))
            }
            guard count > 0 else { throw CheckpointError(.truncated, file: path, "the file ended while being read") }
            done += count
        }
    }

    /// Copies `count` bytes of the file at `offset` to `descriptor` at `destination` inside the
    /// kernel (`copy_file_range`), the way `cp` copies: page cache to page cache,
    /// never through this process's memory. Returns how many bytes were copied before the
    /// kernel declined (it does not copy between some file systems, and older kernels not at
    /// all), so the caller writes the rest itself; throws a real failure (no space, I/O).
    func copy(count: Int, at offset: Int, to descriptor: Int32, at destination: Int) throws(SystemError) -> Int {
        var done = 0
        while done < count {
            let copied: Int64
            do throws(SystemError) {
                copied = try SystemCall.run { cplatform_copy_file_range(self.descriptor, Int64(offset + done), descriptor, Int64(destination + done), count - done) }
            } catch {
                if Self.kernelDeclines.contains(error.code) { return done }
                throw error
            }
            guard copied > 0 else { throw SystemError(code: EIO) }  // the input ended early
            done += Int(copied)
        }
        return done
    }

    /// The errors with which `copy_file_range` says it cannot copy between these two files
    /// (EPERM: some container sandboxes deny the call).
    private static let kernelDeclines: Set<Int32> = [ENOSYS, EXDEV, EINVAL, EOPNOTSUPP, EPERM]

    /// `count` bytes of the file at `offset`, read with `pread` (see ``read(into:at:)``).
    func read(count: Int, at offset: Int) throws(CheckpointError) -> [UInt8] {
        var failure: CheckpointError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(CheckpointError) {
                try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
                initialized = count
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Where `pointer`, inside the mapping, is in the file.
    func offset(of pointer: UnsafeRawPointer) -> Int? {
        guard let start = bytes.baseAddress, pointer >= start, pointer < start + bytes.count else { return nil }
        return pointer - start
    }

    /// Lets the kernel drop this process's view of the whole pages inside `count` bytes at
    /// `base`, once no tensor borrows them.
    ///
    /// The pages stay in the page cache, and a later read faults them back in, so this never
    /// changes what is read; it keeps the resident size of a process that streams a large
    /// file tensor by tensor at about one tensor instead of growing to the whole file.
    func release(_ base: UnsafeRawPointer, count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0, let start = bytes.baseAddress else { return }
        let offset = base - start
        let first = (offset + page - 1) / page * page
        let end = (offset + count) / page * page
        guard first < end, offset >= 0, offset + count <= bytes.count else { return }
        madvise(UnsafeMutableRawPointer(mutating: start + first), end - first, MADV_DONTNEED)
    }

    /// Lets the kernel drop this process's view of the pages around `count` bytes at `base`,
    /// out to ``releaseGranule`` boundaries, when a tensor that borrowed them goes.
    ///
    /// A fault maps a whole page-cache folio, and a file read in large readahead folios maps
    /// up to 2 MB for one small tensor: ViT-G/14's ~600 biases and norms left ~300 MB mapped
    /// in some runs (depending on how the file had entered the page cache) while their own
    /// whole pages, the only ones ``release(_:count:)`` gives back, were few or none. The
    /// mapping is read-only (`PROT_READ`: no page of it is a private copy), so dropping pages a neighbour
    /// still borrows costs that neighbour a refault from the page cache, never its bytes.
    func releaseAround(_ base: UnsafeRawPointer, count: Int) {
        guard let start = bytes.baseAddress else { return }
        let offset = base - start
        guard offset >= 0, count >= 0, offset + count <= bytes.count else { return }
        let first = offset / Self.releaseGranule * Self.releaseGranule
        let end = Swift.min(bytes.count, (offset + count + Self.releaseGranule - 1) / Self.releaseGranule * Self.releaseGranule)
        guard first < end else { return }
        madvise(UnsafeMutableRawPointer(mutating: start + first), end - first, MADV_DONTNEED)
    }

    /// The largest folio a fault is expected to map (a PMD: 2 MB on x86-64 and arm64 with 4 KB pages).
    static let releaseGranule = 2 << 20

    /// Lets the kernel drop this process's view of every page of the file, after a scan of
    /// headers spread through it (an npz's member headers, a msgpack tree): each first touch
    /// maps 64 KB around it (the kernel's fault-around) or the whole page-cache folio it falls
    /// in (up to 2 MB), so the 780 member headers of ViT-G/14 left 50-600 MB resident. A
    /// tensor borrowing from the file meanwhile only faults its pages back in from the page
    /// cache (the mapping is read-only).
    func releaseAll() {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        madvise(UnsafeMutableRawPointer(mutating: start), bytes.count, MADV_DONTNEED)
    }

    /// Bytes `range` of the file, borrowed: no copy is made.
    func borrow(_ range: Range<Int>) throws(CheckpointError) -> TensorBytes {
        guard let start = bytes.baseAddress else { return try TensorBytes(count: 0) { _ in } }
        return TensorBytes(storage: ByteStorage(borrowing: start + range.lowerBound, count: range.count, from: self))
    }
}
