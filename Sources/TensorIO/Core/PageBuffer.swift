#if canImport(Glibc)
import Glibc
#endif

/// A scratch buffer of whole pages mapped from the kernel and unmapped when it goes away: the
/// slices tensors are computed and read in.
///
/// Not `malloc`: glibc raises its mmap threshold each time a large block is freed, after which
/// buffers of slice size come from the heap, and interleaved with small allocations they
/// fragment it so that freed slices are not returned (see ``ByteStorage/mappedThreshold``).
final class PageBuffer {
    let bytes: UnsafeMutableRawBufferPointer

    init(count: Int) throws(CheckpointError) {
        let size = Swift.max(count, 1)
        let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let address, address != MAP_FAILED else {
            throw CheckpointError(.limitExceeded, file: "<memory>", "cannot allocate \(count) bytes for a slice",
                fix: "Free memory or use a machine with more")
        }
        bytes = UnsafeMutableRawBufferPointer(start: address, count: count)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(base, Swift.max(bytes.count, 1)) }
    }
}
