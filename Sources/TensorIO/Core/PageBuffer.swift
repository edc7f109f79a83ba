#if canImport(Glibc)
import Glibc
#endif
import Synchronization

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
        if let kept = Self.kept.withLock({ $0.take(size: size) }) {
            bytes = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: kept), count: count)
            return
        }
        let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let address, address != MAP_FAILED else {
            throw CheckpointError(.limitExceeded, file: "<memory>", "cannot allocate \(count) bytes for a slice",
                fix: "Free memory or use a machine with more")
        }
        bytes = UnsafeMutableRawBufferPointer(start: address, count: count)
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        let size = Swift.max(bytes.count, 1)
        if !Self.kept.withLock({ $0.keep(UInt(bitPattern: base), size: size) }) { munmap(base, size) }
    }

    /// Mappings given back by buffers that went away, for the next buffer of the same size:
    /// tensors are written one after another, each with a slice buffer (and a transpose with a
    /// strip), so mapping, faulting in, zeroing and unmapping fresh pages per tensor was ~10 %
    /// of an HF export's time. At most ``Kept/limit`` bytes are kept; a fresh buffer's
    /// contents are unspecified either way (every user fills before it reads).
    private static let kept = Mutex(Kept())

    struct Kept: ~Copyable {
        static let limit = 24 << 20
        /// Addresses as integers: the pointers are not `Sendable`, the mappings are ours alone.
        var mappings: [(address: UInt, size: Int)] = []
        var bytes = 0

        mutating func take(size: Int) -> UInt? {
            guard let index = mappings.lastIndex(where: { $0.size == size }) else { return nil }
            bytes -= size
            return mappings.remove(at: index).address
        }

        mutating func keep(_ address: UInt, size: Int) -> Bool {
            guard bytes + size <= Self.limit else { return false }
            mappings.append((address, size))
            bytes += size
            return true
        }
    }
}
