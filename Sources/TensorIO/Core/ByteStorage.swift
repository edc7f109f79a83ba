#if canImport(Glibc)
import Glibc
#endif

/// A block of bytes that a tensor owns or borrows, released exactly once when the last
/// tensor that uses it goes away.
///
/// Owned blocks are heap allocations aligned to 64 bytes (whole pages from the kernel for
/// large ones); borrowed blocks are ranges of a ``MappedFile`` and keep the mapping alive.
/// The bytes are never mutated after the initialiser that fills them returns, which is what
/// makes sharing them across threads safe.
final class ByteStorage: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
    private let release: Release

    /// How the block goes back when the last tensor using it goes away.
    private enum Release {
        case free
        case unmap
        case borrowed(MappedFile)
    }

    /// Blocks of at least this many bytes are mapped from the kernel directly rather than
    /// taken from malloc's heap.
    ///
    /// glibc raises its own mmap threshold each time a large block is freed, after which
    /// blocks of tensor size come from the heap, and interleaved with the small allocations of
    /// a writer (libhdf5's, say) they fragment it so that freed tensors are never returned:
    /// inflating ViT-B into Model 2 HDF5 peaked at 111 MB instead of 46. Mapped blocks go back
    /// to the kernel the moment they are freed, so memory stays at the live tensors.
    static let mappedThreshold = 1 << 20

    /// Allocates `count` bytes and lets `fill` write all of them.
    ///
    /// Sizes here come from files only after they were checked against the file, but a
    /// checked size can still exceed memory; that is reported, not a crash.
    init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws(CheckpointError) -> Void) throws(CheckpointError) {
        let memory: UnsafeMutableRawPointer
        if count >= Self.mappedThreshold {
            let address = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let address, address != MAP_FAILED else { throw Self.outOfMemory(count) }
            memory = address
            release = .unmap
        } else {
            var allocation: UnsafeMutableRawPointer?
            guard posix_memalign(&allocation, 64, max(count, 1)) == 0, let allocation else { throw Self.outOfMemory(count) }
            memory = allocation
            release = .free
        }
        do throws(CheckpointError) {
            try fill(UnsafeMutableRawBufferPointer(start: memory, count: count))
        } catch {
            if case .unmap = release { munmap(memory, count) } else { free(memory) }
            throw error
        }
        self.base = UnsafeRawPointer(memory)
        self.count = count
    }

    /// Borrows `count` bytes at `base` inside `mapping`, which stays mapped while this lives.
    init(borrowing base: UnsafeRawPointer, count: Int, from mapping: MappedFile) {
        self.base = base
        self.count = count
        release = .borrowed(mapping)
    }

    /// Whether the bytes are a range of a mapped file rather than memory of their own.
    var isBorrowed: Bool {
        if case .borrowed = release { return true }
        return false
    }

    /// The mapped file and the offset in it of a borrowed block, for reads that bypass the mapping.
    var fileRange: (file: MappedFile, offset: Int)? {
        guard case .borrowed(let mapping) = release, let offset = mapping.offset(of: base) else { return nil }
        return (mapping, offset)
    }

    /// Hands the whole pages of bytes `range` of a borrowed block back to the kernel (see
    /// ``MappedFile/release(_:count:)``); reading them again faults them back in from the page
    /// cache. Owned blocks keep their bytes.
    func releasePages(_ range: Range<Int>) {
        guard case .borrowed(let mapping) = release, !range.isEmpty, range.upperBound <= count else { return }
        mapping.release(base + range.lowerBound, count: range.count)
    }

    deinit {
        switch release {
        case .free: free(UnsafeMutableRawPointer(mutating: base))
        case .unmap: munmap(UnsafeMutableRawPointer(mutating: base), count)
        case .borrowed(let mapping): mapping.releaseAround(base, count: count)
        }
    }

    private static func outOfMemory(_ count: Int) -> CheckpointError {
        CheckpointError(.limitExceeded, file: "<memory>",
            "cannot allocate \(count) bytes for a tensor", fix: "Free memory or use a machine with more")
    }
}
